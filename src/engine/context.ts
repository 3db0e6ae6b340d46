import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from '../util/exec.js';
import type { GlobalOptions } from '../config/global-options.js';
import { chooseRuntime, type RuntimeChoice, type RuntimeName } from '../runtime/driver.js';
import { assertStoreDriver } from '../store/drivers/store-driver.js';
import { StoreLayout } from '../store/layout.js';
import { prepareStoreRoots } from '../store/roots.js';
import { ensurePauseProcess, insideUserNamespace, nsenterArgs, USERNS_ENV } from '../userns/pause.js';
import { pathExists } from '../util/fs.js';
import { withLock } from '../util/lock.js';
import type { StorageChoice } from './storage-driver.js';

/**
 * Where an engine call runs: the store layout, whether we are rootless, and
 * how to run a program as root of the user namespace from here. Constructing
 * it creates the graph root and run root, private to the user, or throws
 * UnsafeDirectoryError for roots another user could have planted.
 */
export class EngineContext {
  readonly layout: StoreLayout;
  /** Warnings collected for the CLI to print (e.g. single-uid mapping). */
  readonly warnings: string[] = [];
  /** Lines the CLI prints on stderr as they are: podman prints its spec generation's warnings bare, without a level. */
  readonly notices: string[] = [];

  constructor(readonly global: GlobalOptions) {
    this.layout = new StoreLayout(global.root, global.runroot);
    prepareStoreRoots(this.layout);
    // As podman's database check: every command refuses a store made with another driver.
    if (global.storageDriver) assertStoreDriver(global.root, global.storageDriver);
  }

  /** Rootless: not real root, or already inside skiff's user namespace. */
  get rootless(): boolean {
    return process.getuid?.() !== 0 || insideUserNamespace();
  }

  /** True when programs must be wrapped in nsenter to reach the user namespace. */
  get needsNsenter(): boolean {
    return process.getuid?.() !== 0 && !insideUserNamespace();
  }

  /**
   * The argv prefix that runs a program as root in the user namespace (empty
   * when already there or rootful), starting the pause process when needed.
   */
  async namespacePrefix(): Promise<{ prefix: string[]; env: Record<string, string> }> {
    if (!this.needsNsenter) return { prefix: [], env: {} };
    const pause = await ensurePauseProcess(this.global.runroot);
    this.warnings.push(...pause.warnings);
    return { prefix: nsenterArgs(pause), env: { [USERNS_ENV]: String(pause.pid) } };
  }

  /** Runs a program as root in the user namespace (directly when rootful or already inside). */
  async execInNamespace(argv: string[], options: { timeoutMs?: number } = {}) {
    const { prefix, env } = await this.namespacePrefix();
    const full = [...prefix, ...argv];
    return exec(full[0], full.slice(1), { ...options, env: { ...process.env, ...env } });
  }

  /** True when rootless with only the user's own uid/gid mapped (no subordinate ranges). */
  async singleIdMapping(): Promise<boolean> {
    if (!this.rootless) return false;
    if (insideUserNamespace()) return readFileSync('/proc/self/gid_map', 'utf8').trim().split('\n').length < 2;
    return !(await ensurePauseProcess(this.global.runroot)).fullMapping;
  }

  /** The OCI runtime to use, detected once per boot and cached in the run root. */
  async runtime(): Promise<RuntimeChoice> {
    const cacheFile = join(this.global.runroot, 'runtime.json');
    const choose = () => chooseRuntime(this.global.runtime, cacheFile, (name, path) => this.probeRuntime(name, path));
    if (this.global.runtime || (await pathExists(cacheFile))) return choose();
    await fsp.mkdir(this.global.runroot, { recursive: true, mode: 0o700 });
    // Racing first runs probe once: the others wait and read the cache.
    return withLock(join(this.global.runroot, 'runtime.lock'), choose);
  }

  /** The storage driver's name; see storageChoice. */
  async storageDriver(): Promise<'overlay' | 'vfs'> {
    return (await this.storageChoice()).driver;
  }

  private choice?: Promise<StorageChoice>;

  /**
   * The storage driver, its mount program and why (engine/storage-driver.ts),
   * decided once per call; records the driver in a store that has none, and
   * throws StorageDriverMismatchError for a store made with another.
   */
  storageChoice(): Promise<StorageChoice> {
    this.choice ??= import('./storage-driver.js').then((m) => m.chooseStorage(this));
    return this.choice;
  }

  /** Runs `true` from the host's /usr in a throw-away container; returns the runtime's error, if any. */
  private async probeRuntime(name: RuntimeName, path: string): Promise<string | undefined> {
    const bundle = join(this.global.runroot, `probe-${name}-${process.pid}`);
    await fsp.rm(bundle, { recursive: true, force: true });
    await fsp.mkdir(join(bundle, 'rootfs', 'usr'), { recursive: true });
    await fsp.mkdir(join(bundle, 'rootfs', 'proc'), { recursive: true });
    for (const link of ['bin', 'lib', 'lib64']) await fsp.symlink(`usr/${link}`, join(bundle, 'rootfs', link));
    const spec = {
      ociVersion: '1.0.2-dev',
      process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['/bin/true'], env: ['PATH=/usr/bin:/bin'], cwd: '/' },
      root: { path: join(bundle, 'rootfs'), readonly: true },
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/usr', type: 'bind', source: '/usr', options: ['rbind', 'ro'] },
      ],
      linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }] },
    };
    await fsp.writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    const id = `skiff-probe-${process.pid}`;
    const result = await this.execInNamespace([path, '--root', join(this.layout.runtimeRoot, name), 'run', '--bundle', bundle, id], { timeoutMs: 20_000 });
    await this.execInNamespace([path, '--root', join(this.layout.runtimeRoot, name), 'delete', '--force', id]);
    await fsp.rm(bundle, { recursive: true, force: true });
    if (result.exitCode === 0) return undefined;
    return (result.stderr || result.stdout || `exit code ${result.exitCode}`).trim().split('\n').pop();
  }
}
