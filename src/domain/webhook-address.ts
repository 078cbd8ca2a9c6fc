import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Every address a name resolves to, as the system resolver answers (tests pass their own). */
export type Lookup = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemLookup: Lookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Where one delivery connects: the URL, and the address checked for it (connected to as is, never looked up again). */
export interface CheckedTarget {
  url: URL;
  /** The hostname without IPv6 brackets: the Host header and the TLS server name. */
  host: string;
  address: string;
  family: 4 | 6;
}

/** Why a webhook URL may not be used; the message is safe to show to the organizer. */
export class WebhookAddressError extends Error {
  override name = 'WebhookAddressError';
}

/**
 * Public unicast only: ipaddr.js names every special range (loopback, private, link-local,
 * carrier-grade NAT, unique local, multicast, documentation, 6to4 and Teredo tunnels, …) and
 * leaves `unicast` for the rest. IPv4-mapped IPv6 addresses are judged as the IPv4 they carry.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/**
 * Checks a webhook URL and resolves it: `https` to public addresses only, unless private ones
 * are allowed (development and tests, which may also use plain `http`). Every address the name
 * resolves to must pass, or none is used: an answer mixing a public and a private address is
 * refused. Run for each delivery, so a name that later resolves somewhere private is caught.
 */
export async function checkWebhookUrl(raw: string, opts: { allowPrivate: boolean; lookup: Lookup }): Promise<CheckedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookAddressError('is not a URL');
  }
  const schemes = opts.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) throw new WebhookAddressError(opts.allowPrivate ? 'must be an https or http URL' : 'must be an https URL');
  if (url.username || url.password) throw new WebhookAddressError('must not carry a user name or password');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let answers: { address: string; family: number }[];
  if (isIP(host)) answers = [{ address: host, family: isIP(host) }];
  else {
    try {
      answers = await opts.lookup(host);
    } catch {
      throw new WebhookAddressError(`does not resolve (${host})`);
    }
    if (answers.length === 0) throw new WebhookAddressError(`does not resolve (${host})`);
  }
  if (!opts.allowPrivate) {
    const refused = answers.find((a) => !isPublicAddress(a.address));
    if (refused) throw new WebhookAddressError(`resolves to a non-public address (${refused.address})`);
  }
  const first = answers[0]!;
  return { url, host, address: first.address, family: first.family === 6 ? 6 : 4 };
}
