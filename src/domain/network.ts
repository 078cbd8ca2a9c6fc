import ipaddr from 'ipaddr.js';

/** The prefixes an address is cut to when stored: enough to see abuse from one network, too coarse to find a person. */
export const storedIPv4Prefix = 24;
export const storedIPv6Prefix = 48;

/**
 * Keeps the network, not the host: IPv4 to its /24, IPv6 to its /48, an IPv4-mapped IPv6
 * address to its IPv4 /24. Parsed, never cut as text: `::1` or `2001::dead:beef:1:2` hide how
 * many groups they hold. Anything that is not an address is stored as nothing.
 */
export function coarseIp(ip: string): string | null {
  // ipaddr.js also reads IPv4's old shorthands (`10.1` is 10.0.0.1): only the four-part form is an address here.
  if (!ipaddr.IPv6.isValid(ip) && !ipaddr.IPv4.isValidFourPartDecimal(ip)) return null;
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') {
    return `${maskBytes(addr.toByteArray(), storedIPv4Prefix).join('.')}/${storedIPv4Prefix}`;
  }
  const network = ipaddr.fromByteArray(maskBytes(addr.toByteArray(), storedIPv6Prefix)) as ipaddr.IPv6;
  return `${network.toRFC5952String()}/${storedIPv6Prefix}`;
}

/** The bytes of an address with every bit past the prefix cleared (prefixes here are whole bytes). */
function maskBytes(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => (i < prefix / 8 ? b : 0));
}
