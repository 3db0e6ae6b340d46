import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import { MONITOR_SCRIPT } from '../../config/entry-points.js';
import { Frame, FrameDecoder, encodeFrame, type ExitFrame, type LaunchMessage, type SyncMessage } from '../../monitor/protocol.js';
import { ContainerGoneError, ContainerStore } from '../../store/containers.js';
import { SkiffError } from '../../util/errors.js';
import { nodeChildEnv } from '../../util/exec.js';
import type { EngineContext } from '../context.js';
import { loadContainer, resolveContainer } from './record.js';
import { ContainerStartError, NoSuchContainerError } from '../errors.js';
import { joinNetworkContainer } from './network-deps.js';

/** The caller's side of an attached container: where output goes and input comes from. */
export interface AttachStreams {
  stdout: Writable;
  stderr: Writable;
  /** Forwarded to the container when it was created with -i. */
  stdin?: Readable;
  /** Registers a callback for terminal size changes (-t). */
  onResize?: (listener: (size: { rows: number; cols: number }) => void) => void;
  /** Registers a callback for signals to forward to the container (podman's --sig-proxy). */
  onSignal?: (listener: (signal: string) => void) => void;
  /** Watches stdin for the detach keys; a match ends the session and leaves the container running. */
  detach?: DetachDetector;
}

/** Finds the detach sequence in the input; `pass` is what goes on to the container. */
export interface DetachDetector {
  feed(chunk: Buffer): { pass: Buffer; detached: boolean };
}

/** How an attach session ended: the container exited with `exitCode`, or the user detached. */
export type AttachOutcome = { exitCode: number; detached?: undefined } | { detached: true; exitCode?: undefined };

export interface ContainerStartOptions {
  attach?: AttachStreams;
  /** A monitor forked ahead of time (see forkMonitor); one is forked here otherwise. */
  monitor?: MonitorFork;
  /** run --preserve-fds: how many fds `monitor` was forked with, for the container (see LaunchMessage). */
  preserveFds?: number;
}

/** A monitor process that has started up and waits to be told which container to run. */
export interface MonitorFork {
  /** Hands the monitor its container; returns its start-up messages. */
  launch(message: LaunchMessage): SyncReader;
  /** No container after all (create failed): the monitor exits. */
  abort(): void;
}

interface SyncReader {
  next(): Promise<SyncMessage>;
  close(): void;
}

/**
 * Forks a monitor, detached, as root of the user namespace, before the
 * container exists: Node's start-up in the monitor then overlaps the CLI's
 * create work instead of following it (the largest cost of `skiff run`).
 */
export async function forkMonitor(ctx: EngineContext, options: { preserveFds?: number } = {}): Promise<MonitorFork> {
  const { prefix, env } = await ctx.namespacePrefix();
  const argv = [...prefix, process.execPath, ...MONITOR_NODE_FLAGS, '--', MONITOR_SCRIPT];
  // run --preserve-fds N: our fds 3..3+N-1 become the monitor's 4..4+N-1 (see LaunchMessage.preserveFds).
  const passed = Array.from({ length: options.preserveFds ?? 0 }, (_, i) => 3 + i);
  const child = spawn(argv[0], argv.slice(1), {
    detached: true,
    // fd 3 is a socketpair: the launch line goes in, start-up messages come out.
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', ...passed],
    env: nodeChildEnv(env),
  });
  child.unref();
  const pipe = child.stdio[3] as Duplex;
  pipe.on('error', () => undefined);
  const reader = readSyncMessages(pipe);
  return {
    launch(message) {
      pipe.write(JSON.stringify(message) + '\n');
      return reader;
    },
    abort() {
      pipe.destroy();
    },
  };
}

export interface ContainerStartReport {
  id: string;
  name: string;
  /** The container's exit code, when attached and it exited. */
  exitCode?: number;
  /** The attached user detached; the container is still running. */
  detached?: boolean;
}

// Node's flags for the monitor, which idles for the container's whole life.
// One V8 platform worker instead of four: V8's background jobs (GC, compiling)
// for the monitor's small heap fit in one, and three fewer threads save
// ~0.2 MiB private per container. Not 0: node reads 0 as one per core.
const MONITOR_NODE_FLAGS = ['--v8-pool-size=1'];

/**
 * Starts a created or exited container by forking its monitor, detached, in
 * the user namespace. Without `attach` it resolves once the container runs
 * (or throws ContainerStartError with podman's 125/126/127). With `attach`
 * the monitor waits for us before starting the container, so no output is
 * lost, and it resolves with the exit code when the container is done.
 *
 * Holds the container's lock until the monitor has reported `started` or
 * `error` (not while attached): concurrent starts fork one monitor.
 */
export async function startContainer(ctx: EngineContext, nameOrId: string, options: ContainerStartOptions = {}): Promise<ContainerStartReport> {
  const { record } = await resolveContainer(ctx, nameOrId);
  const { id, name } = record;
  const store = new ContainerStore(ctx.layout);
  // Held until the monitor reported started or error: the monitor writes the
  // running state (or, on failure, tears down and records it) on our behalf.
  const session = await store.withContainerLock(id, async () => {
    const info = await loadContainer(ctx, id);
    if (!info) throw new NoSuchContainerError(nameOrId);
    if (info.state.status === 'paused') throw new SkiffError('ESTATE', `cannot start paused container ${id}: container state improper`, { hint: 'resume it with `skiff unpause`' });
    if (info.state.status === 'running') {
      if (options.attach) throw new SkiffError('ESTATE', `container ${name} is already running`, { hint: 'use `skiff logs -f` to follow its output' });
      options.monitor?.abort();
      return {};
    }
    await joinNetworkContainer(ctx, info.record, (depId) => startContainer(ctx, depId)).catch((err: unknown) => {
      options.monitor?.abort();
      throw err;
    });
    const monitor = options.monitor ?? (await forkMonitor(ctx));
    const sync = monitor.launch({ config: ctx.layout.containerMonitorConfig(id), attach: Boolean(options.attach), preserveFds: options.preserveFds || undefined });

    const first = await sync.next();
    if (first.event === 'error') throw new ContainerStartError(first.message, first.exitCode);
    let attached: Promise<AttachOutcome> | undefined;
    if (options.attach) attached = attachSession(ctx.layout.attachSocket(id), options.attach, info.record.interactive);
    // A failed start still sends an exit frame to the attached session: silence it.
    attached?.catch(() => undefined);

    const second = await sync.next();
    sync.close();
    if (second.event === 'error') throw new ContainerStartError(second.message, second.exitCode);
    // Wrapped: returning the promise itself would keep the lock until the container exits.
    return { attached };
  }).catch((err: unknown) => {
    if (err instanceof ContainerGoneError) throw new NoSuchContainerError(nameOrId);
    throw err;
  });
  if (!session.attached) return { id, name };
  return { id, name, ...(await session.attached) };
}

/** Reads the monitor's JSON lines from its sync pipe, in order. */
function readSyncMessages(pipe: Readable): SyncReader {
  const queue: SyncMessage[] = [];
  const waiters: Array<(m: SyncMessage) => void> = [];
  let buffered = '';
  const deliver = (m: SyncMessage) => {
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else queue.push(m);
  };
  pipe.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim()) deliver(JSON.parse(line) as SyncMessage);
    }
  });
  pipe.on('close', () => {
    // A monitor that dies before reporting would otherwise hang us forever.
    deliver({ event: 'error', message: 'the container monitor exited unexpectedly; see monitor.log in the container directory', exitCode: 125 });
  });
  return {
    next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiters.push(resolve))),
    close: () => pipe.destroy(),
  };
}

/**
 * Connects to a monitor's attach socket and pumps frames until the exit
 * frame; resolves with the container's exit code, or `detached` when the
 * detach keys were typed (the socket is then closed without an EOF, so the
 * container keeps its stdin and runs on). Both directions keep
 * backpressure: stdin is read no faster than the socket takes it, and the
 * socket no faster than stdout/stderr take the output, so the monitor (and
 * in turn the container) waits rather than anyone buffering without bound.
 */
export function attachSession(socketPath: string, streams: AttachStreams, forwardStdin: boolean): Promise<AttachOutcome> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(socketPath);
    const decoder = new FrameDecoder();
    let exit: ExitFrame | undefined;
    let detached = false;
    socket.on('connect', () => {
      streams.onResize?.((size) => socket.write(encodeFrame(Frame.Resize, JSON.stringify(size))));
      streams.onSignal?.((signal) => socket.write(encodeFrame(Frame.Signal, signal)));
      const stdin = streams.stdin;
      if (forwardStdin && stdin) {
        stdin.on('data', (d: Buffer) => {
          if (detached) return;
          const { pass, detached: detach } = streams.detach ? streams.detach.feed(d) : { pass: d, detached: false };
          const flowing = pass.length === 0 || socket.write(encodeFrame(Frame.Stdin, pass));
          if (detach) {
            detached = true;
            stdin.pause();
            socket.end();
            return;
          }
          if (!flowing) {
            stdin.pause();
            socket.once('drain', () => stdin.resume());
          }
        });
        stdin.on('end', () => {
          if (!detached) socket.write(encodeFrame(Frame.StdinEof));
        });
      }
    });
    socket.on('data', (chunk: Buffer) => {
      if (detached) return;
      let full: Writable | undefined;
      for (const frame of decoder.push(chunk)) {
        const out = frame.type === Frame.Stdout ? streams.stdout : frame.type === Frame.Stderr ? streams.stderr : undefined;
        if (out) {
          if (!out.write(frame.payload)) full = out;
        } else if (frame.type === Frame.Exit) exit = JSON.parse(frame.payload.toString()) as ExitFrame;
      }
      if (full) {
        socket.pause();
        full.once('drain', () => socket.resume());
      }
    });
    socket.on('error', (err) => reject(new SkiffError('EATTACH', `cannot attach to the container: ${err.message}`, { cause: err })));
    socket.on('close', () => {
      streams.stdin?.pause();
      if (exit) resolve({ exitCode: exit.exitCode });
      else if (detached) resolve({ detached: true });
      else reject(new SkiffError('EATTACH', 'the container monitor went away before the container exited'));
    });
  });
}
