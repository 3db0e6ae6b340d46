import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { SkiffError, isErrno } from '../util/errors.js';
import { writeJsonAtomic } from '../util/fs.js';
import { withLock } from '../util/lock.js';

/** podman's rule for volume names (the same as for container names). */
export const VOLUME_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export class NoSuchVolumeError extends SkiffError {
  constructor(name: string) {
    super('ENOVOLUME', `no volume with name "${name}" found: no such volume`);
  }
}

/** One volume as stored in `volumes/<name>/volume.json`. */
export interface VolumeRecord {
  name: string;
  /** Only `local` exists (podman's default driver; plugins are out of scope). */
  driver: 'local';
  /** RFC 3339, as podman's CreatedAt. */
  createdAt: string;
  labels: Record<string, string>;
  /** `-o` options as given: `type`, `device`, `o` (mount options), `size`, `uid`, `gid`... */
  options: Record<string, string>;
  /** Made for a `-v /path` or an image VOLUME rather than by name. */
  anonymous: boolean;
  /** Owner of `_data` as seen inside the user namespace, when `-o uid=/gid=` asked for one. */
  uid?: number;
  gid?: number;
  /**
   * True until a container first mounts the volume: an empty new volume then
   * receives the image's content at its mount point (podman's copy-up), and
   * its `_data` the owner of that directory.
   */
  needsCopyUp: boolean;
  needsChown: boolean;
  /**
   * For `-o type=` volumes: how many users (containers, `volume mount`)
   * hold its mount in the user namespace; mounted while above 0.
   */
  mountCount?: number;
}

/**
 * The volumes of a graph root: `<dir>/<name>/volume.json` and its data in
 * `<dir>/<name>/_data`. A volume exists exactly when its volume.json does:
 * add writes it last, remove deletes it first. Writers hold
 * `<dir>/volumes.lock`; readers need no lock (every write is an atomic
 * rename). Removing `_data` that holds files of other ids of the user
 * namespace needs a caller that runs inside it.
 */
export class VolumeStore {
  constructor(readonly dir: string) {}

  get lockFile(): string {
    return join(this.dir, 'volumes.lock');
  }

  volumeDir(name: string): string {
    return join(this.dir, name);
  }

  /** The host directory a container mounts (podman's Mountpoint). */
  dataDir(name: string): string {
    return join(this.dir, name, '_data');
  }

  private recordPath(name: string): string {
    return join(this.dir, name, 'volume.json');
  }

  /** Runs `fn` holding the volumes lock (create, remove, update: names stay unique). */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await fsp.mkdir(this.dir, { recursive: true });
    return withLock(this.lockFile, fn);
  }

  /** Every volume, sorted by name. */
  async list(): Promise<VolumeRecord[]> {
    let names: string[];
    try {
      names = (await fsp.readdir(this.dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    const records = await Promise.all(names.map((n) => this.read(n)));
    return records.filter((r): r is VolumeRecord => r !== undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A volume by its exact name (podman matches volumes by name only); throws NoSuchVolumeError. */
  async get(name: string): Promise<VolumeRecord> {
    const record = VOLUME_NAME_PATTERN.test(name) ? await this.read(name) : undefined;
    if (!record) throw new NoSuchVolumeError(name);
    return record;
  }

  async exists(name: string): Promise<boolean> {
    return VOLUME_NAME_PATTERN.test(name) && (await this.read(name)) !== undefined;
  }

  /**
   * Stores a new volume: its directory, an empty `_data` (mode 0755, owned
   * by the caller) and then its record. The caller holds the lock and has
   * checked that the name is valid and free.
   */
  async addLocked(record: VolumeRecord): Promise<void> {
    await fsp.mkdir(this.dataDir(record.name), { recursive: true, mode: 0o755 });
    await writeJsonAtomic(this.recordPath(record.name), record);
  }

  /** Rewrites a volume's record (after copy-up, for one). The caller holds the lock. */
  async updateLocked(record: VolumeRecord): Promise<void> {
    await writeJsonAtomic(this.recordPath(record.name), record);
  }

  /**
   * Removes a volume: its record first, so that a failure half-way leaves
   * no volume that looks whole, then its data. The caller holds the lock.
   */
  async removeLocked(name: string): Promise<void> {
    await fsp.rm(this.recordPath(name), { force: true });
    await fsp.rm(this.volumeDir(name), { recursive: true, force: true });
  }

  private async read(name: string): Promise<VolumeRecord | undefined> {
    try {
      return JSON.parse(await fsp.readFile(this.recordPath(name), 'utf8')) as VolumeRecord;
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR') || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }
}
