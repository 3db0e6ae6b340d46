/**
 * The monitor: skiff's conmon. One per running container, started detached
 * (its own session) inside the user namespace. It mounts the root
 * filesystem, sets up the network, runs the OCI runtime in the foreground,
 * owns the container's stdio (log file + attach socket), records the exit
 * code and tears everything down. Usage: main.js CONFIG_JSON [--attach]
 *
 * It reports start-up on fd 3 (the sync pipe, see protocol.ts) when the
 * engine passed one, then closes it so the engine can return.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';
import { createNetns } from '../network/netns.js';
import { startSlirp4netns } from '../network/slirp4netns.js';
import { ContainerGoneError, ContainerStore, type ContainerState } from '../store/containers.js';
import { StoreLayout } from '../store/layout.js';
import { processStartTime } from '../util/fs.js';
import { AttachServer } from './attach-server.js';
import { mountRootfs, teardownContainer } from './cleanup.js';
import { ContainerStdio, spawnWithPipes, spawnWithPty } from './container-io.js';
import { LogWriter } from '../store/container-log.js';
import type { LaunchMessage, MonitorConfig, SyncMessage } from './protocol.js';
import { RuntimeProcess } from './runtime-process.js';
import { SyncChannel } from './sync-channel.js';

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
  /** The container's init, once the runtime has started it. */
  private pid?: number;
  private terminating = false;

  constructor(private readonly config: MonitorConfig, private readonly attach: boolean, private readonly syncChannel: SyncChannel) {
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
    const prepared = Promise.allSettled([mountRootfs(c.storage), this.prepareNetwork()]).then((results) => {
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    });
    prepared.catch(() => undefined);
    if (this.attach) await this.attachServer.waitForClient();

    let exitCode: number;
    let error: string | undefined;
    try {
      await prepared;
      if (this.terminating) throw new Error('the container monitor was stopped (SIGTERM) before the container started');
      ({ exitCode, error } = await this.runContainer());
    } catch (err) {
      exitCode = 125;
      error = (err as Error).message;
      this.sync({ event: 'error', message: error, exitCode });
    }

    this.slirp?.kill('SIGTERM');
    try {
      await teardownContainer(c.storage, c.netnsFile);
    } catch (err) {
      // The container is done either way; what was left behind must be visible (inspect .State.Error, monitor.log).
      const problem = `cleaning up the container failed: ${(err as Error).message}`;
      diagnostic(problem);
      error = error ? `${error}; ${problem}` : problem;
    }
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

  private async prepareNetwork(): Promise<void> {
    const c = this.config;
    if (!c.netnsFile) return;
    await createNetns(c.netnsFile);
    if (c.network.mode === 'slirp4netns') {
      this.slirp = await startSlirp4netns({ netnsPath: c.netnsFile, mtu: c.network.mtu, allowHostLoopback: c.network.allowHostLoopback });
    }
  }

  /** Runs the runtime in the foreground; resolves with the container's exit code. */
  private async runContainer(): Promise<{ exitCode: number; error?: string }> {
    const c = this.config;
    const { path, args } = await this.runtime.command();
    const onOutput = this.stdio.output.bind(this.stdio);
    const spawned = c.terminal
      ? await spawnWithPty(path, args, c.consoleSize ?? { rows: 24, cols: 80 }, onOutput)
      : spawnWithPipes(path, args, c.stdin, onOutput);
    if (!c.terminal) this.stdio.connect(spawned.io);
    const pid = await this.runtime.waitForPid(spawned.exited);
    if (pid !== undefined) {
      this.pid = pid;
      // Input waits for the container: until the runtime has put our pty in
      // raw mode, the pty would echo it (a second time, besides the container's own pty).
      if (c.terminal) this.stdio.connect(spawned.io);
      if (this.terminating) this.killForTermination();
      this.stdio.releaseOutput();
      // No lock: our starter holds the container's lock until we report `started`.
      const state = (await this.store.readState(c.id)) ?? { status: 'created' };
      await this.store.writeState(c.id, {
        ...state,
        status: 'running',
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
    }
    // --timeout: as conmon, the container is killed and its exit code is -1.
    let timedOut = false;
    const timer = pid !== undefined && c.timeout ? setTimeout(() => {
      timedOut = true;
      this.runtime.kill('KILL').catch((err: Error) => diagnostic(`killing the container after --timeout failed: ${err.message}`));
    }, c.timeout * 1000) : undefined;
    const code = await spawned.exited;
    clearTimeout(timer);
    if (timedOut) return { exitCode: -1 };
    if (pid === undefined) {
      const failure = await this.runtime.startFailure();
      if (failure) {
        this.sync({ event: 'error', ...failure });
        return { exitCode: failure.exitCode, error: failure.message };
      }
      this.sync({ event: 'error', message: `${c.runtime.name} exited with code ${code} before starting the container`, exitCode: 125 });
    }
    return { exitCode: code };
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
      if (c.autoRemove) return this.store.remove(c.id, c.name);
      const previous = await this.store.readState(c.id);
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
  const launch = await readLaunch(channel);
  if (!launch) process.exit(0);
  const config = JSON.parse(readFileSync(launch.config, 'utf8')) as MonitorConfig;
  redirectDiagnostics(`${dirname(config.stateFile)}/monitor.log`);
  if (config.monitorPidFile) writeFileSync(config.monitorPidFile, `${process.pid}\n`);
  monitor = new Monitor(config, launch.attach, channel);
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
