import { promises as dns, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where an image URL from a response may point (issue #9, part 4): a server must not make the user's
 * machine request its own loopback services, the LAN, the cloud metadata address or any other internal
 * host. Every address a name resolves to is checked, and the connection is pinned to the checked ones.
 */

/** Resolves a host name to all of its addresses, like `dns.lookup(name, {all: true})`. */
export type Lookup = (hostname: string) => Promise<readonly LookupAddress[]>;

/** The name of the internal range `address` is in (`loopback`, `private`…), or undefined for a public one. */
export type RangeOf = (address: string) => string | undefined;

export const systemLookup: Lookup = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

const ranges: ReadonlyArray<readonly [string, BlockList]> = (
  [
    ['loopback', ['127.0.0.0/8', '::1/128']],
    ['unspecified', ['0.0.0.0/8', '::/128']],
    ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']],
    ['CGNAT', ['100.64.0.0/10']],
    ['link-local', ['169.254.0.0/16', 'fe80::/10']],
    ['unique local', ['fc00::/7']],
    ['site-local', ['fec0::/10']],
    ['multicast', ['224.0.0.0/4', 'ff00::/8']],
    [
      'reserved',
      ['192.0.0.0/24', '192.0.2.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '240.0.0.0/4', '::/96', '100::/64', '2001:db8::/32'],
    ],
  ] as const
).map(([name, subnets]) => {
  const list = new BlockList();
  for (const subnet of subnets) {
    const [network = '', prefix] = subnet.split('/');
    list.addSubnet(network, Number(prefix), isIP(network) === 6 ? 'ipv6' : 'ipv4');
  }
  return [name, list] as const;
});

/** IPv6 prefixes that carry an IPv4 address: NAT64 (last 32 bits) and 6to4 (bits 16–47). */
const nat64 = new BlockList();
nat64.addSubnet('64:ff9b::', 96, 'ipv6');
nat64.addSubnet('64:ff9b:1::', 48, 'ipv6');
const sixToFour = new BlockList();
sixToFour.addSubnet('2002::', 16, 'ipv6');

/**
 * The internal range of an IP address: loopback, private (RFC 1918), CGNAT (100.64/10), link-local
 * (169.254/16, fe80::/10, the cloud metadata address included), unique local (fc00::/7), multicast,
 * unspecified and the reserved and documentation blocks. IPv4-mapped, NAT64 and 6to4 addresses are judged
 * by the IPv4 address inside. Undefined for public addresses; `invalid` for anything that is not an IP.
 */
export function internalRange(address: string): string | undefined {
  const ip = address.replace(/^\[|\]$/g, '');
  const family = isIP(ip);
  if (family === 0) return 'invalid';
  const type = family === 6 ? 'ipv6' : 'ipv4';
  for (const [name, list] of ranges) if (list.check(ip, type)) return name;
  if (family === 6) {
    const groups = ipv6Groups(ip);
    // ipv6Groups gives exactly eight groups or none.
    if (groups && nat64.check(ip, 'ipv6')) return internalRange(ipv4Of(groups[6]!, groups[7]!));
    if (groups && sixToFour.check(ip, 'ipv6')) return internalRange(ipv4Of(groups[1]!, groups[2]!));
  }
  return undefined;
}

/**
 * Whether the base URL's host is the user's own machine: exactly `localhost` (any case), 127.0.0.0/8
 * or ::1 (also IPv4-mapped). Only these may be reached over plain http: anywhere else the key would
 * cross a network unencrypted. No DNS: a name that merely resolves to 127.0.0.1 does not count, and
 * neither does `localhost.` (a fully qualified name that getaddrinfo may send to a DNS server).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost') return true;
  return isIP(host.replace(/^\[|\]$/g, '')) !== 0 && internalRange(host) === 'loopback';
}

/** Refused because the host is or resolves to an internal address. */
export class InternalAddressError extends Error {
  override readonly name = 'InternalAddressError';
  readonly code = 'ERR_INTERNAL_ADDRESS';

  constructor(
    readonly hostname: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(`${hostname} resolves to ${address} (${range})`);
  }
}

/**
 * Resolves host names once, refuses any whose addresses include an internal one, and hands only the
 * checked addresses to the socket ({@link connectLookup}), so DNS cannot answer differently between the
 * check and the connection (rebinding). IP literals are checked as they are.
 */
export class AddressGuard {
  private readonly checked = new Map<string, Promise<readonly LookupAddress[]>>();

  constructor(
    private readonly lookup: Lookup = systemLookup,
    private readonly rangeOf: RangeOf = internalRange,
  ) {}

  /** The host's addresses, all public; rejects with InternalAddressError, or the DNS error. */
  check(hostname: string): Promise<readonly LookupAddress[]> {
    const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    let answer = this.checked.get(host);
    if (!answer) {
      answer = this.resolve(host);
      this.checked.set(host, answer);
    }
    return answer;
  }

  /** For `net.connect({lookup})` / undici's `connect` options: answers with the checked addresses only. */
  readonly connectLookup: LookupFunction = (hostname, options, callback) => {
    this.check(hostname).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        const first = wanted[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`No address of family ${String(options.family)} for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
        } else if (options.all) {
          callback(null, [...wanted]);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };

  private async resolve(host: string): Promise<readonly LookupAddress[]> {
    const literal = isIP(host);
    const addresses = literal ? [{ address: host, family: literal }] : await this.lookup(host);
    if (addresses.length === 0) throw Object.assign(new Error(`${host} has no addresses`), { code: 'ENOTFOUND' });
    for (const { address } of addresses) {
      const range = this.rangeOf(address);
      if (range !== undefined) throw new InternalAddressError(host, address, range);
    }
    return addresses;
  }
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail included), or undefined. */
function ipv6Groups(ip: string): number[] | undefined {
  let [text = ''] = ip.split('%');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.slice(1).map(Number); // four groups when it matched
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...new Array<string>(Math.max(0, zeros)).fill('0'), ...right].map((group) => parseInt(group, 16));
  return groups.length === 8 && groups.every((group) => group >= 0 && group <= 0xffff) ? groups : undefined;
}

function ipv4Of(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}
