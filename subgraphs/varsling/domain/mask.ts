/**
 * An address shown to someone who is not its owner, or written to a log:
 * "ola@example.no" → "o***@example.no", "+4791234567" → "+47*****567".
 */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at > 0) return `${address[0]}***${address.slice(at)}`;
  if (address.length <= 6) return '*'.repeat(address.length);
  return `${address.slice(0, 3)}${'*'.repeat(address.length - 6)}${address.slice(-3)}`;
}
