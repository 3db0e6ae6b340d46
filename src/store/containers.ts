import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { SkiffError, isErrno } from '../util/errors.js';
import { pathExists, readJsonIfExists, uniqueSuffix, writeJsonAtomic } from '../util/fs.js';
import { withLock } from '../util/lock.js';
import type { StoreLayout } from './layout.js';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'stopped' | 'exited';

/**
 * How a paused container was paused. `freezer`: the runtime froze its
 * cgroup (`pause`/`resume`). `signal`: skiff sent SIGSTOP to each of its
 * processes; `stopped` lists those (host pid and start time), the only
 * ones unpause continues, so a process the container had stopped itself
 * stays stopped.
 */
export interface PauseRecord {
  method: 'freezer' | 'signal';
  stopped?: Array<{ pid: number; startTime: number }>;
}

/** The mutable half of a container: containers/<id>/state.json. */
export interface ContainerState {
  status: ContainerStatus;
  /** Host pid of the container's init process while running. */
  pid?: number;
  pidStartTime?: number;
  monitorPid?: number;
  monitorStartTime?: number;
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
  /** Why the last start failed, as the runtime said it. */
  error?: string;
  /**
   * Set by `restart` before it stops the container: the exit that follows
   * is recorded even for --rm (the container is started again). The next
   * start clears it.
   */
  restarting?: boolean;
  /** Set while the status is `paused`. */
  pause?: PauseRecord;
  /**
   * A `stop` waiting for this run (the one started at `startedAt`) to exit
   * after its stop signal: the container is "stopping" while that process lives.
   */
  stoppingBy?: { pid: number; pidStartTime?: number; startedAt: string };
}

/**
 * A process started in a running container by `exec`: exec/<execId>/session.json.
 * `pid` and `pidStartTime` name the process that lives as long as the
 * session (the runtime in the foreground, the command itself with -d), so a
 * session whose process is gone is stale whoever failed to remove it.
 */
export interface ExecSession {
  id: string;
  command: string[];
  pid: number;
  pidStartTime: number;
  detached: boolean;
}

export class NameInUseError extends SkiffError {
  constructor(name: string, holder: string) {
    super('ENAMEINUSE', `the container name "${name}" is already in use by ${holder}`, {
      hint: 'choose another name with --name or remove that container first',
    });
  }
}

/** The container's directory is gone: it was removed (by `rm`, or by its monitor for --rm). */
export class ContainerGoneError extends SkiffError {
  constructor(readonly id: string) {
    super('ENOCONTAINER', `container ${id} has been removed`);
  }
}

/**
 * Starting a container can take long (a vfs copy of a large image), and the
 * starter holds the container's lock until it runs.
 */
const CONTAINER_LOCK_TIMEOUT_MS = 120_000;

const ID = /^[0-9a-f]{64}$/;

/**
 * Container records, the one owner of containers/: <id>/config.json (the
 * record, written once by create), <id>/state.json (written by the engine
 * and the monitor), the name reservations in .names/, and removal. The
 * engine and the monitor both go through it.
 *
 * A container is listed once config.json exists (create writes it last).
 * A removal deletes state.json first and config.json last, so a container
 * with a config and no state is one whose removal was interrupted: `rm`
 * still finds it and finishes the job (see `isRemoving`).
 *
 * Locking: each container has a lock (<id>/lock, flock). Whoever changes a
 * container's state or removes it holds it; see `withContainerLock`.
 */
export class ContainerStore {
  constructor(private readonly layout: StoreLayout) {}

  /**
   * Runs `fn` holding the container's lock. Throws ContainerGoneError when
   * the container was removed before or while we waited for the lock, so
   * `fn` always sees a container whose directory still exists. Not
   * re-entrant.
   */
  async withContainerLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await withLock(this.layout.containerLock(id), async () => {
        // A waiter that opened the lock before a removal wakes up holding the lock of a deleted directory.
        if (!(await pathExists(this.layout.containerConfig(id)))) throw new ContainerGoneError(id);
        return fn();
      }, CONTAINER_LOCK_TIMEOUT_MS);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new ContainerGoneError(id);
      throw err;
    }
  }

  /**
   * Reserves `name` for `id`, whose directory must exist; throws
   * NameInUseError when another container holds it. The reservation file
   * is never seen empty: the id is written to a temp file that is then
   * linked (first claim, no lock needed: link fails if the name exists) or
   * renamed (reclaiming a stale reservation, under the names lock) into place.
   */
  async reserveName(name: string, id: string): Promise<void> {
    await fsp.mkdir(this.layout.namesDir, { recursive: true });
    const tmp = join(this.layout.namesDir, `.tmp-${uniqueSuffix()}`);
    await fsp.writeFile(tmp, id, { flag: 'wx' });
    try {
      try {
        await fsp.link(tmp, this.layout.nameFile(name));
        return;
      } catch (err) {
        if (!isErrno(err, 'EEXIST')) throw err;
      }
      await this.withNamesLock(async () => {
        const holder = await this.nameHolder(name);
        if (holder !== undefined && (await this.holderExists(holder))) throw new NameInUseError(name, holder);
        await fsp.rename(tmp, this.layout.nameFile(name));
      });
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  /** Frees `name` if `id` holds it. */
  async releaseName(name: string, id: string): Promise<void> {
    await this.withNamesLock(async () => {
      if ((await this.nameHolder(name)) === id) await fsp.rm(this.layout.nameFile(name), { force: true });
    });
  }

  /**
   * Maps a name to its id via the reservation file; a reservation left by a
   * crash (empty, or naming a container that no longer exists) maps to nothing.
   */
  async idForName(name: string): Promise<string | undefined> {
    const holder = await this.nameHolder(name);
    return holder !== undefined && (await this.holderExists(holder)) ? holder : undefined;
  }

  /** The ids of every container directory, listed or not. */
  async ids(): Promise<string[]> {
    try {
      const entries = await fsp.readdir(this.layout.containersDir);
      return entries.filter((e) => ID.test(e));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
  }

  async readConfig<T>(id: string): Promise<T | undefined> {
    return readJsonIfExists<T>(this.layout.containerConfig(id));
  }

  /** Writes the record; create calls it last, after state.json, to make the container visible. */
  async writeConfig(id: string, config: unknown): Promise<void> {
    await writeJsonAtomic(this.layout.containerConfig(id), config, 0o600);
  }

  async readState(id: string): Promise<ContainerState | undefined> {
    return readJsonIfExists<ContainerState>(this.layout.containerState(id));
  }

  /**
   * Replaces state.json atomically. The caller holds the container's lock,
   * or acts for a starter that holds it (the monitor, until it has reported
   * the start), or is creating the container (no one else knows its id yet).
   */
  async writeState(id: string, state: ContainerState): Promise<void> {
    await writeJsonAtomic(this.layout.containerState(id), state, 0o600);
  }

  /** Makes the private directory of a new exec session and returns its path. */
  async createExecSessionDir(id: string, execId: string): Promise<string> {
    const dir = this.layout.execSessionDir(id, execId);
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** Records a started exec session (atomic); it is listed from then on. No lock: each session has its own file. */
  async writeExecSession(id: string, session: ExecSession): Promise<void> {
    await writeJsonAtomic(join(this.layout.execSessionDir(id, session.id), 'session.json'), session, 0o600);
  }

  /**
   * The recorded exec sessions of a container, stale ones included (the
   * caller checks their processes). Directories without a session.json are
   * sessions being started or that failed to start, and are skipped.
   */
  async execSessions(id: string): Promise<ExecSession[]> {
    let entries: string[];
    try {
      entries = await fsp.readdir(this.layout.containerExecDir(id));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    const sessions = await Promise.all(entries.map((e) => readJsonIfExists<ExecSession>(join(this.layout.containerExecDir(id), e, 'session.json'))));
    return sessions.filter((s): s is ExecSession => s !== undefined);
  }

  /** Deletes an exec session's directory; a session already gone is fine. */
  async removeExecSession(id: string, execId: string): Promise<void> {
    await fsp.rm(this.layout.execSessionDir(id, execId), { recursive: true, force: true });
  }

  /** True when a removal of the container started and did not finish (config.json without state.json). */
  async isRemoving(id: string): Promise<boolean> {
    return (await pathExists(this.layout.containerConfig(id))) && !(await pathExists(this.layout.containerState(id)));
  }

  /**
   * Deletes a container's files and frees its name. Resumable: state.json
   * goes first (the container stops being listed), config.json last (until
   * then `rm` can find it again), then the name. The caller holds the
   * container's lock, has unmounted its root filesystem and stopped it.
   */
  async remove(id: string, name: string): Promise<void> {
    const dir = this.layout.containerDir(id);
    await fsp.rm(this.layout.containerState(id), { force: true });
    // monitor.json says what to unmount: kept until the rest is gone, for a resumed removal.
    const keep = new Set(['config.json', 'monitor.json', 'lock']);
    let entries: string[] = [];
    try {
      entries = await fsp.readdir(dir);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    for (const entry of entries) {
      if (!keep.has(entry)) await fsp.rm(join(dir, entry), { recursive: true, force: true });
    }
    await fsp.rm(join(dir, 'monitor.json'), { force: true });
    await fsp.rm(this.layout.containerConfig(id), { force: true });
    await fsp.rm(dir, { recursive: true, force: true });
    await this.releaseName(name, id);
    await fsp.rm(this.layout.attachSocket(id), { force: true });
  }

  private withNamesLock<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.layout.namesLock, fn);
  }

  private async nameHolder(name: string): Promise<string | undefined> {
    const text = await fsp.readFile(this.layout.nameFile(name), 'utf8').catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    });
    return text === undefined ? undefined : text.trim();
  }

  /**
   * Whether a reservation's holder is a container: its directory exists
   * (create makes it before reserving; remove deletes it before releasing).
   */
  private async holderExists(holder: string): Promise<boolean> {
    return ID.test(holder) && (await pathExists(this.layout.containerDir(holder)));
  }
}
