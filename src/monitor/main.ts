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
import { processStartTime, sleep } from '../util/fs.js';
import { mountRootfs, teardownContainer } from './cleanup.js';
import { LogWriter, type LogStream } from './log-writer.js';
import { Frame, FrameDecoder, encodeFrame, type LaunchMessage, type MonitorConfig, type SyncMessage } from './protocol.js';

const SYNC_FD = 3;
/** How long a monitor started for an attached run waits for its client. */
const ATTACH_WAIT_MS = 30_000;

/** The container's stdio, whichever way it is wired. */
interface ContainerIo {
  write(data: Buffer): void;
  endInput(): void;
  resize(rows: number, cols: number): void;
}

class Monitor {
  private readonly clients = new Set<Socket>();
  private server?: Server;
  private log!: LogWriter;
  private slirp?: ChildProcess;
  private io?: ContainerIo;
  private firstClient?: () => void;

  constructor(private readonly config: MonitorConfig, private readonly attach: boolean, private readonly syncChannel: SyncChannel) {}

  async run(): Promise<number> {
    const c = this.config;
    this.log = new LogWriter(c.logFile);
    await this.listen();
    this.sync({ event: 'listening' });
    // Prepare the rootfs and network while the client attaches: both are on
    // the critical path of every `skiff run`.
    const prepared = Promise.all([mountRootfs(c.storage), this.prepareNetwork()]);
    prepared.catch(() => undefined);
    if (this.attach) await this.waitForClient();

    let exitCode: number;
    let error: string | undefined;
    try {
      await prepared;
      ({ exitCode, error } = await this.runContainer());
    } catch (err) {
      exitCode = 125;
      error = (err as Error).message;
      this.sync({ event: 'error', message: error, exitCode });
    }

    this.slirp?.kill('SIGTERM');
    await teardownContainer(c.storage, c.netnsFile).catch(() => undefined);
    this.log.close();
    await this.recordExit(exitCode, error);
    await this.broadcastExit(exitCode, error);
    return exitCode;
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

    const exited = c.terminal ? (await this.spawnWithPty(c.runtime.path, args)).exited : this.spawnWithPipes(c.runtime.path, args);
    let pid = await Promise.race([waitForPidFile(pidFile), exited.then(() => undefined)]);
    // A container that exits at once can beat the pid file poll; the runtime wrote it all the same.
    pid ??= await readPidFile(pidFile);
    if (pid !== undefined) {
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
      write: (data) => child.stdin?.write(data),
      endInput: () => child.stdin?.end(),
      resize: () => undefined,
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
        void done.then(() => resolve(code ?? 128 + signalNumber(signal)));
      });
    });
  }

  private async spawnWithPty(path: string, args: string[]): Promise<{ exited: Promise<number> }> {
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
    this.setIo({
      write: (data) => term.write(data as unknown as string),
      // A terminal has no EOF of its own: ^D is what a shell reads as one.
      endInput: () => undefined,
      resize: (rows, cols) => term.resize(cols, rows),
    });
    term.onData((d) => this.output('stdout', Buffer.isBuffer(d) ? d : Buffer.from(d)));
    // Wrapped in an object: an awaited Promise<Promise<number>> would flatten.
    return {
      exited: new Promise((resolve) => {
        term.onExit(({ exitCode, signal }) => {
          // node-pty reports exit before the last output is read: give it a tick.
          setTimeout(() => resolve(signal ? 128 + signal : exitCode), 20);
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
    for (const client of this.clients) client.write(frame);
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
      for (const frame of decoder.push(chunk)) {
        this.input(frame.type, frame.payload);
      }
    });
    socket.on('error', () => this.clients.delete(socket));
    socket.on('close', () => this.clients.delete(socket));
  }

  /**
   * An attached client may send input before the runtime is spawned; it is
   * queued, never dropped (an early EOF would otherwise be lost too).
   */
  private pendingInput: Array<[number, Buffer]> = [];

  private input(type: number, payload: Buffer): void {
    if (!this.io) {
      this.pendingInput.push([type, Buffer.from(payload)]);
      return;
    }
    if (type === Frame.Stdin) this.io.write(payload);
    else if (type === Frame.StdinEof) this.io.endInput();
    else if (type === Frame.Resize) {
      const { rows, cols } = JSON.parse(payload.toString()) as { rows: number; cols: number };
      this.io.resize(rows, cols);
    } else if (type === Frame.Signal) {
      const signal = payload.toString();
      if (/^[A-Z0-9]+$/.test(signal)) void killContainer(this.config.runtime, `${this.config.runRoot}/runtime`, this.config.id, signal);
    }
  }

  private setIo(io: ContainerIo): void {
    this.io = io;
    for (const [type, payload] of this.pendingInput.splice(0)) this.input(type, payload);
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

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };
function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? SIGNALS[signal] ?? 0 : 0;
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
  const channel = new SyncChannel();
  syncChannel = channel;
  const launch = await readLaunch(channel);
  if (!launch) process.exit(0);
  const config = JSON.parse(readFileSync(launch.config, 'utf8')) as MonitorConfig;
  redirectDiagnostics(`${dirname(config.stateFile)}/monitor.log`);
  const monitor = new Monitor(config, launch.attach, channel);
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
