/**
 * A client's value as an error message may show it: at most `max` characters, then '…', in JSON
 * quotes (so that quotes, newlines and control characters cannot bend the message). Errors are
 * answered and logged; echoing a whole 900 KB argument would copy it into both.
 */
export function preview(value: string, max = 32): string {
  return JSON.stringify(truncate(value, max));
}

/** `value` cut to at most `max` characters with '…' appended, never splitting a surrogate pair. */
export function truncate(value: string, max = 32): string {
  if (value.length <= max) return value;
  const end = isHighSurrogate(value.charCodeAt(max - 1)) ? max - 1 : max;
  return `${value.slice(0, end)}…`;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
