import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { SkiffError, isErrno } from '../util/errors.js';
import { writeJsonAtomic } from '../util/fs.js';
import { withLock } from '../util/lock.js';
import { DEFAULT_NETWORK, type NetworkConfig } from './network-config.js';

export class NoSuchNetworkError extends SkiffError {
  constructor(nameOrId: string) {
    super('ENONETWORK', `unable to find network with name or ID ${nameOrId}: network not found`);
  }
}

/**
 * The user networks: one JSON file per network (`<dir>/<name>.json`, the
 * NetworkConfig), plus podman's default network, which is never stored.
 * The one owner of these files. Writers hold `<dir>/networks.lock`;
 * readers need no lock (every write is an atomic rename).
 */
export class NetworkStore {
  constructor(readonly dir: string) {}

  get lockFile(): string {
    return join(this.dir, 'networks.lock');
  }

  /** Runs `fn` holding the networks lock (create, remove: names, subnets and bridges stay unique). */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await fsp.mkdir(this.dir, { recursive: true });
    return withLock(this.lockFile, fn);
  }

  /** Every network, the default one included, sorted by name as podman lists them. */
  async list(): Promise<NetworkConfig[]> {
    let names: string[];
    try {
      names = (await fsp.readdir(this.dir)).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      names = [];
    }
    const stored = (await Promise.all(names.map((f) => this.read(f.slice(0, -5))))).filter((n): n is NetworkConfig => n !== undefined);
    // podman makes its default network up on every call: created is now.
    const all = stored.some((n) => n.name === DEFAULT_NETWORK.name) ? stored : [...stored, { ...DEFAULT_NETWORK, created: new Date().toISOString() }];
    return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A network by name, full id or unique id prefix; throws NoSuchNetworkError. */
  async get(nameOrId: string): Promise<NetworkConfig> {
    const all = await this.list();
    const byName = all.find((n) => n.name === nameOrId);
    if (byName) return byName;
    if (/^[0-9a-f]+$/.test(nameOrId)) {
      const byId = all.filter((n) => n.id.startsWith(nameOrId));
      if (byId.length === 1) return byId[0];
      if (byId.length > 1) throw new SkiffError('EAMBIGUOUS', `more than one result for network ID ${nameOrId}`);
    }
    throw new NoSuchNetworkError(nameOrId);
  }

  /** Stores a new network. The caller holds the lock and has checked that the name is free. */
  async addLocked(config: NetworkConfig): Promise<void> {
    await writeJsonAtomic(join(this.dir, `${config.name}.json`), config);
  }

  /** Removes a network's file. The caller holds the lock. */
  async removeLocked(name: string): Promise<void> {
    await fsp.rm(join(this.dir, `${name}.json`), { force: true });
  }

  private async read(name: string): Promise<NetworkConfig | undefined> {
    try {
      return JSON.parse(await fsp.readFile(join(this.dir, `${name}.json`), 'utf8')) as NetworkConfig;
    } catch (err) {
      if (isErrno(err, 'ENOENT') || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }
}
