/**
 * The monitor: skiff's conmon. One per running container, started detached
 * (its own session) inside the user namespace. It mounts the root
 * filesystem, sets up the network, creates and starts the container with
 * the OCI runtime and then is its init's subreaper (no runtime process
 * stays resident), owns the container's stdio (log file + attach socket), records the exit
 * code and tears everything down. Usage: main.js CONFIG_JSON [--attach]
 *
 * It reports start-up on fd 3 (the sync pipe, see protocol.ts) when the
 * engine passed one, then closes it so the engine can return.
 */
import { appendFileSync, closeSync, promises as fsp, readFileSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';
import { dropJoinedHostsLine, networkHostEntries, writeNetworkHosts } from '../network/etc-files.js';
import { adoptNetns, createNetns, removeNetns } from '../network/netns.js';
import { addSlirpHostForwards, slirpAddresses, startSlirp4netns } from '../network/slirp4netns.js';
import { startPasta, stopPasta } from '../network/pasta.js';
import { ContainerGoneError, ContainerStore, type ContainerState } from '../store/containers.js';
import { StoreLayout } from '../store/layout.js';
import { processStartTime } from '../util/fs.js';
import { AttachServer } from './attach-server.js';
import { mountRootfs, teardownContainer } from './cleanup.js';
import { ContainerStdio, ptyIo, spawnCreate } from './container-io.js';
import { LogWriter } from '../store/container-log.js';
import type { ConsoleSocket } from './native.js';
import type { LaunchMessage, MonitorConfig, SyncMessage } from './protocol.js';
import { RuntimeProcess } from './runtime-process.js';
import { SyncChannel } from './sync-channel.js';

/**
 * The user networks' machinery (netavark in the rootless netns) for this
 * container's store; loaded only for them (it pulls in node:crypto, half a
 * MiB of every monitor otherwise).
 */
async function userNetworks(c: MonitorConfig) {
  const { ContainerNetworks } = await import('../network/container-networks.js');
  const layout = new StoreLayout(c.graphRoot, c.runRoot);
  return new ContainerNetworks({ configDir: layout.networksDir, runDir: layout.networksRunDir });
}

/** native.ts, loaded on demand: koffi is native code. */
type NativeCalls = typeof import('./native.js');

let nativeLoad: Promise<NativeCalls> | undefined;
/**
 * Starts loading native.ts (koffi takes ~20 ms) once: while a pre-forked
 * monitor waits for its launch line, so the load is off the container's
 * start path, or else while the mount and network helpers run.
 */
function loadNative(): Promise<NativeCalls> {
  if (!nativeLoad) {
    nativeLoad = import('./native.js');
    nativeLoad.catch(() => undefined);
  }
  return nativeLoad;
}

/**
 * One container run, start to end: it wires the container's stdio
 * (container-io.ts) to the log and the attach server (attach-server.ts),
 * drives the runtime (runtime-process.ts), and records the state through
 * ContainerStore.
 */
class Monitor {
  /** Undefined with --log-driver none. */
  private readonly log?: LogWriter;
  private readonly stdio: ContainerStdio;
  private readonly attachServer: AttachServer;
  private readonly runtime: RuntimeProcess;
  private slirp?: ChildProcess;
  /** Where pasta (which runs in the background) wrote its pid. */
  private pastaPidFile?: string;
  /** The container's init, once the runtime has started it. */
  private pid?: number;
  private terminating = false;

  /** @param preserveFds run --preserve-fds: fds 4..4+N-1 of ours go to the container as 3..3+N-1. */
  constructor(private readonly config: MonitorConfig, private readonly attach: boolean, private readonly syncChannel: SyncChannel, private readonly preserveFds = 0) {
    const log = config.log ?? { driver: 'k8s-file', path: config.logFile };
    if (log.driver === 'k8s-file') this.log = new LogWriter(log.path, { maxSize: log.maxSize });
    this.runtime = new RuntimeProcess(config);
    this.stdio = new ContainerStdio({
      output: (stream, data) => {
        this.log?.write(stream, data);
        this.attachServer.broadcast(stream, data);
      },
      signal: (signal) => {
        this.runtime.kill(signal).catch((err: Error) => {
          diagnostic(`forwarding signal ${signal} failed: ${err.message}`);
        });
      },
    });
    this.attachServer = new AttachServer(config.attachSocket, this.stdio);
  }

  async run(): Promise<number> {
    const c = this.config;
    await this.attachServer.listen();
    this.sync({ event: 'listening' });
    // Prepare the rootfs and network while the client attaches: both are on
    // the critical path of every `skiff run`.
    // Both settle before anything goes on: a failed mount must not leave the
    // network half-made (slirp4netns started after the teardown ran).
    const native = loadNative();
    const prepared = Promise.allSettled([mountRootfs(c.storage).then((rootfs) => this.prepareMounts(rootfs)), this.prepareNetwork()]).then((results) => {
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    });
    prepared.catch(() => undefined);
    if (this.attach) await this.attachServer.waitForClient();

    let exitCode: number;
    let error: string | undefined;
    try {
      await prepared;
      if (this.terminating) throw new Error('the container monitor was stopped (SIGTERM) before the container started');
      ({ exitCode, error } = await this.runContainer(await native));
    } catch (err) {
      exitCode = 125;
      error = (err as Error).message;
      this.sync({ event: 'error', message: error, exitCode });
    }

    // netavark's teardown needs the namespace: it is removed after that, while the rootfs is unmounted meanwhile.
    const networksDown = c.network.mode === 'bridge' ? (async () => {
      try {
        await (await userNetworks(c)).teardown(c.id);
      } catch (err) {
        const problem = `tearing down the container's networks failed: ${(err as Error).message}`;
        diagnostic(problem);
        error = error ? `${error}; ${problem}` : problem;
      }
      await removeNetns(c.netnsFile!);
    })() : undefined;
    try {
      const mountsDown = c.mounts ? import('../store/mount-prep.js').then((m) => m.teardownMounts(c.mounts!, new StoreLayout(c.graphRoot, c.runRoot).volumesDir)) : undefined;
      const settled = await Promise.allSettled([teardownContainer(c.storage, networksDown ? undefined : c.netnsFile), this.runtimeDeleted, this.stopNetwork(), networksDown, mountsDown]);
      for (const r of settled) if (r.status === 'rejected') throw r.reason;
    } catch (err) {
      // The container is done either way; what was left behind must be visible (inspect .State.Error, monitor.log).
      const problem = `cleaning up the container failed: ${(err as Error).message}`;
      diagnostic(problem);
      error = error ? `${error}; ${problem}` : problem;
    }
    if (c.joinedHosts) await this.leaveJoinedHosts(c.joinedHosts);
    this.log?.close();
    await this.recordExit(exitCode, error);
    await this.attachServer.close(exitCode, error);
    return exitCode;
  }

  /**
   * SIGTERM (systemd stopping a unit, a shutdown): kill the container and
   * let run() finish as on any exit, tearing down and recording the code.
   * Before the container has started, run() skips starting it.
   */
  terminate(): void {
    if (this.terminating) return;
    this.terminating = true;
    this.attachServer.stopWaiting();
    if (this.pid !== undefined) this.killForTermination();
  }

  private killForTermination(): void {
    this.runtime.kill('KILL').catch((err: Error) => {
      diagnostic(`killing the container on SIGTERM failed: ${err.message}`);
    });
  }

  /** Ends slirp4netns or pasta and waits for it, so its published ports are free once the exit is recorded. */
  private async stopNetwork(): Promise<void> {
    const slirp = this.slirp;
    if (slirp && slirp.exitCode === null && slirp.signalCode === null) {
      const exited = new Promise((resolve) => slirp.once('exit', resolve));
      slirp.kill('SIGTERM');
      await exited;
    }
    if (this.config.ports?.length) await fsp.rm(`${this.config.attachSocket}.net`, { force: true });
    if (this.pastaPidFile) await stopPasta(this.pastaPidFile);
  }

  /** Volume copy-up and ownership, U, overlay and image mounts (-v, --mount), once the root file system is there. */
  private async prepareMounts(rootfs: string): Promise<void> {
    const c = this.config;
    if (!c.mounts) return;
    const { prepareMounts } = await import('../store/mount-prep.js');
    await prepareMounts(c.mounts, rootfs, new StoreLayout(c.graphRoot, c.runRoot).volumesDir);
  }

  private async prepareNetwork(): Promise<void> {
    const c = this.config;
    if (!c.netnsFile || c.netnsByRuntime) return;
    await createNetns(c.netnsFile);
    await this.configureNetwork();
  }

  /** Gives the network namespace at netnsFile its way out and the container's ports: slirp4netns, pasta or netavark. */
  private async configureNetwork(): Promise<void> {
    const c = this.config;
    if (!c.netnsFile) return;
    if (c.network.mode === 'slirp4netns') {
      const apiSocket = c.ports?.length ? `${c.attachSocket}.net` : undefined;
      if (apiSocket) await fsp.rm(apiSocket, { force: true });
      this.slirp = await startSlirp4netns({ ...c.network, netnsPath: c.netnsFile, apiSocket });
      if (apiSocket) await addSlirpHostForwards(apiSocket, c.ports!, slirpAddresses(c.network.cidr).containerIp);
    }
    if (c.network.mode === 'pasta') {
      this.pastaPidFile = `${c.attachSocket}.pasta`;
      await startPasta(c.netnsFile, c.ports ?? [], c.network.options, this.pastaPidFile);
    }
    if (c.network.mode === 'bridge') {
      const state = await (await userNetworks(c)).setup(c.id, c.name, c.netnsFile, c.network.networks, c.ports ?? []);
      if (c.networkHosts) await writeNetworkHosts(c.networkHosts, networkHostEntries(state.status, [c.networkHosts.hostname, c.name]));
    }
  }

  /**
   * Creates the container, starts it, and waits as its subreaper for its
   * init to exit; resolves with the container's exit code. No runtime
   * process stays behind: `create` and `start` exit at once.
   */
  private async runContainer(native: NativeCalls): Promise<{ exitCode: number; error?: string }> {
    const c = this.config;
    native.becomeSubreaper();
    const consoleSocket = c.terminal ? await this.listenForConsole(native) : undefined;
    const { path, args } = await this.runtime.createCommand(consoleSocket?.path, this.preserveFds);
    const onOutput = this.stdio.output.bind(this.stdio);
    const passed = Array.from({ length: this.preserveFds }, (_, i) => 4 + i);
    const created = spawnCreate(path, args, c.stdin && !c.terminal, onOutput, passed);
    if (!c.terminal) this.stdio.connect(created.io!);
    let outputEnded = created.outputEnded;
    const createCode = await created.exited;
    // The container holds them now (or failed): ours would keep a pipe's writer open.
    for (const fd of passed) closeSync(fd);
    const pid = createCode === 0 ? await this.runtime.createdPid() : undefined;
    let terminal: number | undefined;
    let consoleError: string | undefined;
    try {
      terminal = pid === undefined ? undefined : consoleSocket?.receive();
    } catch (err) {
      consoleError = `receiving the terminal from ${c.runtime.name}: ${(err as Error).message}`;
    } finally {
      consoleSocket?.close();
      if (consoleSocket) await fsp.rm(consoleSocket.path, { force: true });
    }
    if (pid === undefined) {
      await created.outputEnded;
      return this.startFailed(`${c.runtime.name} create exited with code ${createCode} without creating the container`);
    }
    this.pid = pid;
    const exited = native.waitForChild(pid);
    if (c.netnsByRuntime) {
      try {
        await adoptNetns(c.netnsFile!, pid);
        await this.configureNetwork();
      } catch (err) {
        return this.startFailed(`setting up the container's network: ${(err as Error).message}`, exited);
      }
    }
    if (c.terminal) {
      if (terminal === undefined) return this.startFailed(consoleError ?? `${c.runtime.name} sent no terminal on the console socket`, exited);
      const pty = await ptyIo(terminal, onOutput);
      this.stdio.connect(pty.io);
      outputEnded = Promise.all([created.outputEnded, pty.outputEnded]).then(() => undefined);
    }
    if (this.terminating) return this.startFailed('the container monitor was stopped (SIGTERM) before the container started', exited);
    const startCode = await this.runtime.start();
    if (startCode !== 0) return this.startFailed(`${c.runtime.name} start exited with code ${startCode}`, exited);
    if (this.terminating) this.killForTermination();
    this.stdio.releaseOutput();
    // No lock: our starter holds the container's lock until we report `started`.
    const state = (await this.store.readState(c.id)) ?? { status: 'created' };
    await this.store.writeState(c.id, {
      ...state,
      status: 'running',
      restarting: undefined,
      pid,
      pidStartTime: processStartTime(pid),
      monitorPid: process.pid,
      monitorStartTime: processStartTime(process.pid),
      startedAt: new Date().toISOString(),
      exitCode: undefined,
      finishedAt: undefined,
      error: undefined,
    } satisfies ContainerState);
    this.sync({ event: 'started', pid });
    // --timeout: as conmon, the container is killed and its exit code is -1.
    let timedOut = false;
    const timer = c.timeout ? setTimeout(() => {
      timedOut = true;
      this.runtime.kill('KILL').catch((err: Error) => diagnostic(`killing the container after --timeout failed: ${err.message}`));
    }, c.timeout * 1000) : undefined;
    const exitCode = await exited;
    clearTimeout(timer);
    // Output written just before the exit is still in the pipes (or the pty).
    await outputEnded;
    // The runtime's delete and run()'s unmount touch different things: they overlap.
    this.runtimeDeleted = this.runtime.delete();
    return { exitCode: timedOut ? -1 : exitCode };
  }

  /** The socket the runtime sends the container's pty to (-t), next to the attach socket. */
  private async listenForConsole(native: NativeCalls): Promise<ConsoleSocket> {
    const path = `${this.config.attachSocket}.tty`;
    await fsp.rm(path, { force: true });
    return new native.ConsoleSocket(path);
  }

  /**
   * A create or start that failed: the runtime's own error when its log
   * has one (with podman's exit code), else `fallback` with 125. A created
   * container is deleted (its init killed) and, when `exited` is given,
   * reaped before we return.
   */
  private async startFailed(fallback: string, exited?: Promise<number>): Promise<{ exitCode: number; error: string }> {
    const failure = (await this.runtime.startFailure(this.stdio.heldText('stderr'))) ?? { message: fallback, exitCode: 125 };
    await this.runtime.delete();
    await exited?.catch(() => undefined);
    this.sync({ event: 'error', ...failure });
    return { exitCode: failure.exitCode, error: failure.message };
  }

  /** Takes this container's line out of the hosts file it shares, under the joined container's lock (gone with it is fine). */
  private async leaveJoinedHosts(joined: NonNullable<MonitorConfig['joinedHosts']>): Promise<void> {
    await this.store.withContainerLock(joined.containerId, () => dropJoinedHostsLine(joined.path, joined.hostname, joined.name)).catch((err: Error) => {
      if (!(err instanceof ContainerGoneError)) diagnostic(`removing the line of ${joined.name} from ${joined.path}: ${err.message}`);
    });
  }

  private get store(): ContainerStore {
    return new ContainerStore(new StoreLayout(this.config.graphRoot, this.config.runRoot));
  }

  /**
   * Records the exit in state.json, or removes the container (--rm). Until
   * we report `started` our starter holds the container's lock and waits
   * for us; after that we take the lock ourselves. A start error is told
   * to the starter only now, so its lock covers our whole failed start and
   * no second start can mount over what we tear down.
   */
  private async recordExit(exitCode: number, error: string | undefined): Promise<void> {
    const c = this.config;
    const record = async () => {
      const previous = await this.store.readState(c.id);
      if (c.autoRemove && !previous?.restarting) {
        await this.store.remove(c.id, c.name);
        // run --rm takes its anonymous volumes with it, as podman's.
        const anonymous = c.mounts?.volumes.filter((v) => v.anonymous).map((v) => v.name) ?? [];
        if (anonymous.length) await (await import('../store/mount-prep.js')).removeAnonymousVolumes(new StoreLayout(c.graphRoot, c.runRoot), anonymous);
        return;
      }
      await this.store.writeState(c.id, {
        ...previous,
        status: 'exited',
        exitCode,
        finishedAt: new Date().toISOString(),
        error,
        pid: undefined,
        pidStartTime: undefined,
        monitorPid: undefined,
        monitorStartTime: undefined,
        pause: undefined,
      } satisfies ContainerState);
    };
    try {
      if (this.startReported) await this.store.withContainerLock(c.id, record);
      else await record();
    } catch (err) {
      if (!(err instanceof ContainerGoneError)) throw err; // removed by `rm -f` meanwhile
    } finally {
      if (this.startError) this.syncChannel.send(this.startError);
    }
  }

  /** The runtime's `delete` once the container exited, awaited with the teardown. */
  private runtimeDeleted?: Promise<void>;
  private startReported = false;
  private startError?: SyncMessage;

  private sync(message: SyncMessage): void {
    if (message.event === 'started') this.startReported = true;
    if (message.event === 'error') {
      this.startError ??= message; // sent by recordExit
      return;
    }
    this.syncChannel.send(message);
  }
}

/**
 * What to run arrives as argv (`main.js CONFIG [--attach]`) or, when the
 * engine forked us ahead of creating the container, as one JSON line on
 * the sync pipe. EOF on the pipe means the create failed: nothing to do.
 */
async function readLaunch(channel: SyncChannel): Promise<LaunchMessage | undefined> {
  const [configPath, ...flags] = process.argv.slice(2);
  if (configPath) return { config: configPath, attach: flags.includes('--attach') };
  const line = await channel.readLine();
  return line === undefined ? undefined : (JSON.parse(line) as LaunchMessage);
}

async function main(): Promise<void> {
  // The monitor must outlive the CLI and any terminal hang-up.
  process.on('SIGHUP', () => undefined);
  process.on('SIGINT', () => undefined);
  process.on('SIGPIPE', () => undefined);
  let monitor: Monitor | undefined;
  // Nothing is set up before the launch line: then SIGTERM may end us at once.
  process.on('SIGTERM', () => (monitor ? monitor.terminate() : process.exit(0)));
  const channel = new SyncChannel();
  syncChannel = channel;
  // Pre-forked, we idle until the CLI has created the container: load koffi meanwhile.
  const preload = setTimeout(() => void loadNative(), 5);
  const launch = await readLaunch(channel);
  clearTimeout(preload);
  if (!launch) process.exit(0);
  const config = JSON.parse(readFileSync(launch.config, 'utf8')) as MonitorConfig;
  redirectDiagnostics(`${dirname(config.stateFile)}/monitor.log`);
  if (config.monitorPidFile) writeFileSync(config.monitorPidFile, `${process.pid}\n`);
  monitor = new Monitor(config, launch.attach, channel, launch.preserveFds);
  await monitor.run();
  await channel.flush();
  process.exit(0);
}

/** The engine gives us no stdout/stderr; our own diagnostics go to the container's monitor.log. */
let diagnosticsFile: string | undefined;
let syncChannel: SyncChannel | undefined;
function redirectDiagnostics(path: string): void {
  diagnosticsFile = path;
}

/** Appends one line to monitor.log (stderr when started by hand); never throws. */
function diagnostic(text: string): void {
  const line = `${new Date().toISOString()} skiff monitor: ${text}\n`;
  try {
    if (diagnosticsFile) appendFileSync(diagnosticsFile, line);
    else process.stderr.write(line);
  } catch {
    // nowhere left to report
  }
}

main().catch((err) => {
  const text = `skiff monitor: ${(err as Error).stack ?? err}\n`;
  try {
    if (diagnosticsFile) appendFileSync(diagnosticsFile, text);
    else process.stderr.write(text);
  } catch {
    // nowhere left to report
  }
  syncChannel?.send({ event: 'error', message: (err as Error).message, exitCode: 125 });
  void (syncChannel?.flush() ?? Promise.resolve()).then(() => process.exit(1));
});
