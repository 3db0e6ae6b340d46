import { readFileSync } from 'node:fs';

/** An IPv4 address of a network namespace, with the prefix length of its subnet. */
export interface NamespaceAddress {
  address: string;
  prefixLength: number;
}

/**
 * The non-loopback IPv4 addresses in a /proc/PID/net/fib_trie listing: the
 * `/32 host LOCAL` leaves of its Local table, each with the length of the
 * smallest `link UNICAST` route that holds it (0 when there is none).
 */
export function parseFibTrie(text: string): NamespaceAddress[] {
  const localTable = text.split(/^Local:$/m)[1] ?? text;
  const locals: string[] = [];
  const subnets: Array<{ network: number; length: number }> = [];
  let last: string | undefined;
  for (const line of localTable.split('\n')) {
    const leaf = /^\s*\|-- (\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (leaf) {
      last = leaf[1];
      continue;
    }
    const kind = /^\s*\/(\d+) (\w+) (\w+)/.exec(line);
    if (!kind || last === undefined) continue;
    const length = Number(kind[1]);
    if (length === 32 && kind[2] === 'host' && kind[3] === 'LOCAL' && !last.startsWith('127.') && !locals.includes(last)) locals.push(last);
    if (kind[2] === 'link' && kind[3] === 'UNICAST') subnets.push({ network: toNumber(last), length });
  }
  return locals.map((address) => {
    const n = toNumber(address);
    const lengths = subnets.filter((s) => s.length > 0 && (n >>> (32 - s.length)) === (s.network >>> (32 - s.length))).map((s) => s.length);
    return { address, prefixLength: lengths.length ? Math.max(...lengths) : 0 };
  });
}

/**
 * The IPv4 addresses of the network namespace process `pid` is in, read from
 * /proc (no need to enter the namespace). Empty when the process is gone.
 */
export function namespaceAddresses(pid: number): NamespaceAddress[] {
  try {
    return parseFibTrie(readFileSync(`/proc/${pid}/net/fib_trie`, 'utf8'));
  } catch {
    return [];
  }
}

function toNumber(address: string): number {
  return address.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}
