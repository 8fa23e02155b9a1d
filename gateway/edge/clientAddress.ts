import type http from 'node:http';
import ipaddr from 'ipaddr.js';
import proxyAddr from 'proxy-addr';

/**
 * The client's address: the socket's peer, or, when that peer is a listed trusted proxy, the
 * nearest untrusted address in `X-Forwarded-For` (proxy-addr, as Express's `trust proxy` reads
 * it). `trusted` takes what proxy-addr takes: addresses, CIDR ranges, `loopback`, `uniquelocal`.
 */
export function clientAddressResolver(trusted: readonly string[]) {
  const trust = proxyAddr.compile([...trusted]);
  return (req: http.IncomingMessage): string | undefined => {
    if (!req.socket.remoteAddress) return undefined;
    return proxyAddr(req, trust);
  };
}

/**
 * An address as a budget key: IPv4 (also IPv4-mapped IPv6) whole, IPv6 by its /64, the block
 * one subscriber or host is usually given, so that rotating through it buys no new budget.
 */
export function addressKey(address: string | undefined): string {
  if (!address || !ipaddr.isValid(address)) return 'unknown';
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}
