import { promises as fsp } from 'node:fs';
import { SkiffError, isErrno } from '../util/errors.js';
import { readJsonIfExists, writeJsonAtomic } from '../util/fs.js';
import type { StoreLayout } from './layout.js';

export type ContainerStatus = 'created' | 'running' | 'stopped' | 'exited';

/** The mutable half of a container: written by the monitor and the engine. */
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
}

export class NameInUseError extends SkiffError {
  constructor(name: string, holder: string) {
    super('ENAMEINUSE', `the container name "${name}" is already in use by ${holder}`, {
      hint: 'choose another name with --name or remove that container first',
    });
  }
}

/**
 * Container records: containers/<id>/{config.json,state.json}. Names are
 * reserved by exclusive creation of containers/.names/<name>, so exactly one
 * of many racing creators wins a name.
 */
export class ContainerStore {
  constructor(private readonly layout: StoreLayout) {}

  /** Reserves `name` for `id`; throws NameInUseError when another container holds it. */
  async reserveName(name: string, id: string): Promise<void> {
    await fsp.mkdir(this.layout.namesDir, { recursive: true });
    try {
      await fsp.writeFile(this.layout.nameFile(name), id, { flag: 'wx' });
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
      const holder = await fsp.readFile(this.layout.nameFile(name), 'utf8').catch(() => '');
      throw new NameInUseError(name, holder || 'another container');
    }
  }

  async releaseName(name: string, id: string): Promise<void> {
    const holder = await fsp.readFile(this.layout.nameFile(name), 'utf8').catch(() => undefined);
    if (holder === id) await fsp.rm(this.layout.nameFile(name), { force: true });
  }

  async ids(): Promise<string[]> {
    try {
      const entries = await fsp.readdir(this.layout.containersDir);
      return entries.filter((e) => /^[0-9a-f]{64}$/.test(e));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
  }

  /** Maps a name to its id via the reservation file. */
  async idForName(name: string): Promise<string | undefined> {
    return fsp.readFile(this.layout.nameFile(name), 'utf8').catch(() => undefined);
  }

  async readConfig<T>(id: string): Promise<T | undefined> {
    return readJsonIfExists<T>(this.layout.containerConfig(id));
  }

  async writeConfig(id: string, config: unknown): Promise<void> {
    await writeJsonAtomic(this.layout.containerConfig(id), config, 0o600);
  }

  async readState(id: string): Promise<ContainerState | undefined> {
    return readJsonIfExists<ContainerState>(this.layout.containerState(id));
  }

  async writeState(id: string, state: ContainerState): Promise<void> {
    await writeJsonAtomic(this.layout.containerState(id), state, 0o600);
  }
}
