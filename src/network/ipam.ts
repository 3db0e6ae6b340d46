import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { SkiffError, isErrno } from '../util/errors.js';
import { writeJsonAtomic } from '../util/fs.js';
import { withLock } from '../util/lock.js';
import { contains, formatAddress, lastAddress, parseAddress } from './ip.js';
import { parsedSubnets, type NetworkConfig } from './network-config.js';

/** Which container holds each address of one network: address → container id. */
type Leases = Record<string, string>;

/** One network's file: its leases, and the address last given out per subnet (where the next search starts). */
interface LeaseFile {
  leases: Leases;
  last: Record<string, string>;
}

export class IpamError extends SkiffError {
  constructor(message: string) {
    super('EIPAM', message);
  }
}

/**
 * IP address management for the user networks: one JSON file per network
 * under `dir` (the run root: leases end with a reboot, as podman's
 * ipam.db in its run root does), written under `dir/ipam.lock`. The one
 * owner of these files.
 */
export class Ipam {
  constructor(readonly dir: string) {}

  /**
   * Gives `containerId` one address per subnet of `network`: `requested`
   * ones where given (refused when another container holds one), else the
   * next free one of the subnet's lease range after the one last given
   * out, wrapping around (gateway and broadcast excluded): as podman's
   * IPAM, a container disconnected and connected again gets a new address.
   * A container that already holds addresses there keeps them. Takes the
   * ipam lock.
   */
  async allocate(network: NetworkConfig, containerId: string, requested: string[] = []): Promise<string[]> {
    return this.locked(network.name, (leases, last) => {
      const held = Object.keys(leases).filter((ip) => leases[ip] === containerId);
      const result: string[] = [];
      for (const subnet of parsedSubnets(network)) {
        const family = subnet.cidr.family;
        const mine = held.find((ip) => contains(subnet.cidr, family, parseAddress(ip)!.value));
        const wanted = requested.map((r) => parseAddress(r)!).find((a) => a.family === family && contains(subnet.cidr, family, a.value));
        if (wanted) {
          const ip = formatAddress(family, wanted.value);
          const owner = leases[ip];
          if (owner !== undefined && owner !== containerId) throw new IpamError(`IPAM error: requested ip address ${ip} is already allocated to container ID ${owner}`);
          if (mine && mine !== ip) delete leases[mine];
          leases[ip] = containerId;
          result.push(ip);
          continue;
        }
        if (mine) {
          result.push(mine);
          continue;
        }
        const first = subnet.start ?? subnet.cidr.network + 1n;
        // IPv4's broadcast address is no host's.
        const end = subnet.end ?? lastAddress(subnet.cidr) - (family === 4 && subnet.cidr.prefix < 31 ? 1n : 0n);
        const key = `${formatAddress(family, subnet.cidr.network)}/${subnet.cidr.prefix}`;
        const previous = last[key] === undefined ? undefined : parseAddress(last[key]!)?.value;
        const start = previous !== undefined && previous >= first && previous < end ? previous + 1n : first;
        let found: string | undefined;
        for (let i = 0n, a = start; i <= end - first; i++, a = a === end ? first : a + 1n) {
          if (a === subnet.gateway) continue;
          const ip = formatAddress(family, a);
          if (leases[ip] === undefined) {
            found = ip;
            break;
          }
        }
        if (!found) throw new IpamError(`IPAM error: failed to find free IP in range: ${network.subnets.find((s) => s.subnet)?.subnet ?? ''}`);
        leases[found] = containerId;
        last[key] = found;
        result.push(found);
      }
      for (const r of requested) {
        const a = parseAddress(r);
        if (!a || !parsedSubnets(network).some((s) => contains(s.cidr, a.family, a.value))) {
          throw new IpamError(`IPAM error: requested ip address ${r} is not in any subnet of network ${network.name}`);
        }
      }
      return result;
    });
  }

  /** Gives back every address `containerId` holds on network `name`. Takes the ipam lock. */
  async release(name: string, containerId: string): Promise<void> {
    await this.locked(name, (leases) => {
      for (const ip of Object.keys(leases)) if (leases[ip] === containerId) delete leases[ip];
    });
  }

  /** The addresses held on a network, for inspection (no lock: files are replaced atomically). */
  async leases(name: string): Promise<Leases> {
    return (await readLeases(this.file(name)))?.leases ?? {};
  }

  /** Forgets a removed network's leases. */
  async forget(name: string): Promise<void> {
    await fsp.rm(this.file(name), { force: true });
  }

  private file(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  /** Runs `fn` on the leases of a network under the lock; writes them back when it returns normally. */
  private async locked<T>(name: string, fn: (leases: Leases, last: Record<string, string>) => T): Promise<T> {
    await fsp.mkdir(this.dir, { recursive: true });
    return withLock(join(this.dir, 'ipam.lock'), async () => {
      const file = (await readLeases(this.file(name))) ?? { leases: {}, last: {} };
      const before = JSON.stringify(file);
      const result = fn(file.leases, file.last);
      if (JSON.stringify(file) !== before) await writeJsonAtomic(this.file(name), file);
      return result;
    });
  }
}

async function readLeases(path: string): Promise<LeaseFile | undefined> {
  try {
    const parsed = JSON.parse(await fsp.readFile(path, 'utf8')) as LeaseFile;
    return { leases: parsed.leases ?? {}, last: parsed.last ?? {} };
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** Validates a --ip value: an address, of either family. */
export function isAddress(text: string): boolean {
  return parseAddress(text) !== undefined;
}

