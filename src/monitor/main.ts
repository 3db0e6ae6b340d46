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
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp, appendFileSync, fstatSync, readFileSync } from 'node:fs';
import { Socket, createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import { createNetns } from '../network/netns.js';
import { startSlirp4netns } from '../network/slirp4netns.js';
import { killContainer, runArgs, runtimeLogError, startFailureExitCode } from '../runtime/driver.js';
import { ContainerGoneError, ContainerStore, type ContainerState } from '../store/containers.js';
import { StoreLayout } from '../store/layout.js';
import { signalExitCode, signalNumber } from '../util/signals.js';
import { processStartTime, sleep } from '../util/fs.js';
import { mountRootfs, teardownContainer } from './cleanup.js';
import { LogWriter, type LogStream } from './log-writer.js';
import { Frame, FrameDecoder, encodeFrame, type LaunchMessage, type MonitorConfig, type SyncMessage } from './protocol.js';

const SYNC_FD = 3;
/** How long a monitor started for an attached run waits for its client. */
const ATTACH_WAIT_MS = 30_000;

/** The container's stdio, whichever way it is wired. */
interface ContainerIo {
  /** False when the container's stdin is full: stop feeding it until `onInputDrain`. */
  write(data: Buffer): boolean;
  onInputDrain(listener: () => void): void;
  endInput(): void;
  resize(rows: number, cols: number): void;
  /** Stop and restart reading the container's output: it then blocks, as on a full pipe. */
  pauseOutput(): void;
  resumeOutput(): void;
}

class Monitor {
  private readonly clients = new Set<Socket>();
  /** Clients whose socket buffer is full; the container's output waits for them. */
  private readonly congested = new Set<Socket>();
  private server?: Server;
  private log!: LogWriter;
  private slirp?: ChildProcess;
  private io?: ContainerIo;
  private firstClient?: () => void;
  /** The container's init, once the runtime has started it. */
  private pid?: number;
  private terminating = false;

  constructor(private readonly config: MonitorConfig, private readonly attach: boolean, private readonly syncChannel: SyncChannel) {}

  async run(): Promise<number> {
    const c = this.config;
    this.log = new LogWriter(c.logFile);
    await this.listen();
    this.sync({ event: 'listening' });
    // Prepare the rootfs and network while the client attaches: both are on
    // the critical path of every `skiff run`.
    // Both settle before anything goes on: a failed mount must not leave the
    // network half-made (slirp4netns started after the teardown ran).
    const prepared = Promise.allSettled([mountRootfs(c.storage), this.prepareNetwork()]).then((results) => {
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    });
    prepared.catch(() => undefined);
    if (this.attach) await this.waitForClient();

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
    this.log.close();
    await this.recordExit(exitCode, error);
    await this.broadcastExit(exitCode, error);
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
    this.firstClient?.();
    if (this.pid !== undefined) this.killForTermination();
  }

  private killForTermination(): void {
    killContainer(this.config.runtime, `${this.config.runRoot}/runtime`, this.config.id, 'KILL').catch((err: Error) => {
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
    const runtimeLog = `${dirname(c.logFile)}/runtime.log`;
    const pidFile = `${dirname(c.logFile)}/pidfile`;
    await fsp.rm(runtimeLog, { force: true });
    await fsp.rm(pidFile, { force: true });
    const args = runArgs({ ...c.runtime, version: '', notes: [] }, `${c.runRoot}/runtime`, { id: c.id, bundle: c.bundle, pidFile, logFile: runtimeLog });

    const pty = c.terminal ? await this.spawnWithPty(c.runtime.path, args) : undefined;
    const exited = pty ? pty.exited : this.spawnWithPipes(c.runtime.path, args);
    let pid = await Promise.race([waitForPidFile(pidFile), exited.then(() => undefined)]);
    // A container that exits at once can beat the pid file poll; the runtime wrote it all the same.
    pid ??= await readPidFile(pidFile);
    if (pid !== undefined) {
      this.pid = pid;
      // Input waits for the container: until the runtime has put our pty in
      // raw mode, the pty would echo it (a second time, besides the container's own pty).
      if (pty) this.setIo(pty.io);
      if (this.terminating) this.killForTermination();
      this.flushHeldOutput();
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
    const code = await exited;
    // Only a failure to start leaves an error in the runtime's log.
    const failure = pid === undefined || code !== 0 ? await runtimeLogError(runtimeLog) : undefined;
    if (failure && pid === undefined) {
      const exitCode = startFailureExitCode(failure);
      const message = startFailureMessage(c.runtime.name, failure, exitCode);
      this.sync({ event: 'error', message, exitCode });
      return { exitCode, error: message };
    }
    if (pid === undefined) {
      this.sync({ event: 'error', message: `${c.runtime.name} exited with code ${code} before starting the container`, exitCode: 125 });
    }
    return { exitCode: code };
  }

  private spawnWithPipes(path: string, args: string[]): Promise<number> {
    const child = spawn(path, args, { stdio: [this.config.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.setIo({
      write: (data) => child.stdin?.write(data) ?? true,
      onInputDrain: (listener) => child.stdin?.once('drain', listener),
      endInput: () => child.stdin?.end(),
      resize: () => undefined,
      pauseOutput: () => {
        child.stdout!.pause();
        child.stderr!.pause();
      },
      resumeOutput: () => {
        child.stdout!.resume();
        child.stderr!.resume();
      },
    });
    child.stdin?.on('error', () => undefined); // the container may close stdin early
    let open = 2;
    const done = new Promise<void>((resolve) => {
      const onEnd = () => { if (--open === 0) resolve(); };
      child.stdout!.on('end', onEnd);
      child.stderr!.on('end', onEnd);
    });
    child.stdout!.on('data', (d: Buffer) => this.output('stdout', d));
    child.stderr!.on('data', (d: Buffer) => this.output('stderr', d));
    return new Promise((resolve) => {
      child.once('error', () => resolve(125));
      // 'close' waits for the pipes too, so no output is lost after exit.
      child.once('close', (code, signal) => {
        void done.then(() => resolve(code ?? signalExitCode(signal!)));
      });
    });
  }

  private async spawnWithPty(path: string, args: string[]): Promise<{ exited: Promise<number>; io: ContainerIo }> {
    // node-pty is native and heavy: only terminal containers load it.
    const pty = (await import('node-pty')).default;
    const size = this.config.consoleSize ?? { rows: 24, cols: 80 };
    const term = pty.spawn(path, args, {
      name: 'xterm',
      rows: size.rows,
      cols: size.cols,
      cwd: '/',
      env: process.env as Record<string, string>,
      encoding: null,
    } as Parameters<typeof pty.spawn>[2]);
    let lastByte = 0x0a;
    const io: ContainerIo = {
      // node-pty queues writes without telling how full the queue is.
      write: (data) => {
        if (data.length) lastByte = data[data.length - 1]!;
        term.write(data as unknown as string);
        return true;
      },
      onInputDrain: () => undefined,
      // A terminal has no EOF of its own: type what a user would, ^D (EOT).
      // After an unfinished line the first ^D only ends the line, as in a terminal.
      endInput: () => term.write(lastByte === 0x0a || lastByte === 0x0d ? '\x04' : '\x04\x04'),
      resize: (rows, cols) => term.resize(cols, rows),
      pauseOutput: () => term.pause(),
      resumeOutput: () => term.resume(),
    };
    term.onData((d) => this.output('stdout', Buffer.isBuffer(d) ? d : Buffer.from(d)));
    // Wrapped in an object: an awaited Promise<Promise<number>> would flatten.
    return {
      io,
      exited: new Promise((resolve) => {
        term.onExit(({ exitCode, signal }) => {
          // node-pty reports exit before the last output is read: give it a tick.
          setTimeout(() => resolve(signal ? signalExitCode(signal) : exitCode), 20);
        });
      }),
    };
  }

  /**
   * Until the container has started, everything on its stdio is the
   * runtime's own (error) output: hold it back, so a failed start is one
   * `Error:` line from the CLI rather than the runtime's text twice.
   */
  private held: Array<[LogStream, Buffer]> | undefined = [];

  private flushHeldOutput(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [stream, data] of held) this.output(stream, data);
  }

  private output(stream: LogStream, data: Buffer): void {
    if (this.held) {
      this.held.push([stream, data]);
      return;
    }
    this.log.write(stream, data);
    const frame = encodeFrame(stream === 'stdout' ? Frame.Stdout : Frame.Stderr, data);
    for (const client of this.clients) {
      if (!client.write(frame)) this.congest(client);
    }
  }

  /**
   * A client that reads slowly holds the container back (as a pipe would)
   * instead of its output piling up here without bound.
   */
  private congest(client: Socket): void {
    if (this.congested.has(client)) return;
    this.congested.add(client);
    this.io?.pauseOutput();
    client.once('drain', () => this.decongest(client));
  }

  private decongest(client: Socket): void {
    if (!this.congested.delete(client)) return;
    if (this.congested.size === 0) this.io?.resumeOutput();
  }

  private async listen(): Promise<void> {
    const path = this.config.attachSocket;
    await fsp.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await fsp.rm(path, { force: true });
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(path, () => resolve());
    });
  }

  private accept(socket: Socket): void {
    this.clients.add(socket);
    this.firstClient?.();
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let full = false;
      for (const frame of decoder.push(chunk)) {
        if (!this.input(frame.type, frame.payload)) full = true;
      }
      // The container's stdin (or the queue before it exists) is full: read
      // no more from this client until it has room, so the client blocks too.
      if (full) {
        socket.pause();
        this.whenInputDrains(() => socket.resume());
      }
    });
    const gone = () => {
      this.clients.delete(socket);
      this.decongest(socket);
    };
    socket.on('error', gone);
    socket.on('close', gone);
  }

  private inputWaiters: Array<() => void> = [];

  private whenInputDrains(listener: () => void): void {
    if (this.io) this.io.onInputDrain(listener);
    else this.inputWaiters.push(listener);
  }

  /**
   * An attached client may send input before the runtime is spawned; it is
   * queued, never dropped (an early EOF would otherwise be lost too).
   */
  private pendingInput: Array<[number, Buffer]> = [];

  /** Handles one frame from a client; false when the container's stdin cannot take more for now. */
  private input(type: number, payload: Buffer): boolean {
    if (!this.io) {
      this.pendingInput.push([type, Buffer.from(payload)]);
      return type !== Frame.Stdin;
    }
    if (type === Frame.Stdin) return this.io.write(payload);
    else if (type === Frame.StdinEof) this.io.endInput();
    else if (type === Frame.Resize) {
      const { rows, cols } = JSON.parse(payload.toString()) as { rows: number; cols: number };
      this.io.resize(rows, cols);
    } else if (type === Frame.Signal) {
      const signal = payload.toString();
      if (signalNumber(signal) !== undefined) {
        killContainer(this.config.runtime, `${this.config.runRoot}/runtime`, this.config.id, signal).catch((err: Error) => {
          diagnostic(`forwarding signal ${signal} failed: ${err.message}`);
        });
      }
    }
    return true;
  }

  private setIo(io: ContainerIo): void {
    this.io = io;
    let full = false;
    for (const [type, payload] of this.pendingInput.splice(0)) {
      if (!this.input(type, payload)) full = true;
    }
    const waiters = this.inputWaiters.splice(0);
    if (full) io.onInputDrain(() => waiters.forEach((w) => w()));
    else waiters.forEach((w) => w());
  }

  private waitForClient(): Promise<void> {
    if (this.clients.size > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ATTACH_WAIT_MS);
      this.firstClient = () => {
        clearTimeout(timer);
        this.firstClient = undefined;
        resolve();
      };
    });
  }

  private async broadcastExit(exitCode: number, error?: string): Promise<void> {
    const frame = encodeFrame(Frame.Exit, JSON.stringify({ exitCode, error }));
    await Promise.all([...this.clients].map((client) => new Promise<void>((resolve) => {
      client.end(frame, () => resolve());
      setTimeout(resolve, 1000);
    })));
    this.server?.close();
    await fsp.rm(this.config.attachSocket, { force: true });
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
 * The sync pipe (fd 3, a socketpair from the engine): one launch line in,
 * start-up messages out, closed after `started` or `error` so the engine can
 * return. One net.Socket owns the fd for both directions.
 */
class SyncChannel {
  private socket?: Socket;
  private closed?: Promise<void>;

  constructor() {
    try {
      fstatSync(SYNC_FD);
      this.socket = new Socket({ fd: SYNC_FD, readable: true, writable: true });
      this.socket.on('error', () => undefined);
    } catch {
      this.socket = undefined; // started by hand, without an engine
    }
  }

  /** The first line the engine sends, or undefined at EOF. */
  readLine(): Promise<string | undefined> {
    const socket = this.socket;
    if (!socket) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let text = '';
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        const nl = text.indexOf('\n');
        if (nl < 0) return;
        socket.off('data', onData);
        socket.pause();
        resolve(text.slice(0, nl));
      };
      socket.on('data', onData);
      socket.once('end', () => resolve(undefined));
    });
  }

  send(message: SyncMessage): void {
    const socket = this.socket;
    if (!socket) return;
    const line = JSON.stringify(message) + '\n';
    if (message.event === 'listening') {
      socket.write(line);
      return;
    }
    this.socket = undefined;
    this.closed = new Promise((resolve) => socket.end(line, () => resolve()));
  }

  /** Resolves once a final message has been written out. */
  async flush(): Promise<void> {
    await this.closed;
  }
}

async function readPidFile(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await fsp.readFile(path, 'utf8')).trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** podman's wording, so scripts matching its errors keep working. */
function startFailureMessage(runtime: string, failure: string, exitCode: number): string {
  const text = failure.startsWith(runtime) ? failure : `${runtime}: ${failure}`;
  if (exitCode === 127) return `${text}: OCI runtime attempted to invoke a command that was not found`;
  if (exitCode === 126) return `${text}: OCI runtime permission denied error`;
  return text;
}

async function waitForPidFile(path: string): Promise<number> {
  for (;;) {
    try {
      const text = await fsp.readFile(path, 'utf8');
      const pid = Number(text.trim());
      if (pid > 0) return pid;
    } catch {
      // not there yet
    }
    await sleep(3);
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
