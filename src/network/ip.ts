import { isIP } from 'node:net';

/** An IPv4 or IPv6 subnet as numbers: `network` has the host bits cleared. */
export interface Cidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

/** Parses an address (no prefix) into its number; undefined when it is none. */
export function parseAddress(text: string): { family: 4 | 6; value: bigint } | undefined {
  const family = isIP(text);
  if (family === 4) return { family, value: text.split('.').reduce((n, part) => (n << 8n) + BigInt(part), 0n) };
  if (family === 6) {
    let [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
    // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
    const v4 = (s: string | undefined) => s?.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`);
    head = v4(head)!;
    tail = v4(tail);
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    return { family, value: groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g, 16)), 0n) };
  }
  return undefined;
}

export function bitsOf(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

/** The text form of an address number (IPv6 compressed as Go prints it). */
export function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // The longest run of two or more zero groups becomes ::.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Parses `ADDR/PREFIX`; undefined when invalid. The host bits are cleared, as Go's net.ParseCIDR does. */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const address = parseAddress(m[1]);
  const prefix = Number(m[2]);
  if (!address || prefix > bitsOf(address.family)) return undefined;
  return { family: address.family, network: address.value & mask(address.family, prefix), prefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.family, cidr.network)}/${cidr.prefix}`;
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = BigInt(bitsOf(family));
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

/** Whether `address` (same family) lies in `cidr`. */
export function contains(cidr: Cidr, family: 4 | 6, address: bigint): boolean {
  return family === cidr.family && (address & mask(family, cidr.prefix)) === cidr.network;
}

/** The last address of a subnet (the broadcast address for IPv4). */
export function lastAddress(cidr: Cidr): bigint {
  return cidr.network | ((1n << BigInt(bitsOf(cidr.family) - cidr.prefix)) - 1n);
}

/** Whether two subnets share any address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  return contains(a, b.family, b.network) || contains(b, a.family, a.network);
}
