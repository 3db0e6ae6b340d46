/**
 * The container's stdio: the OCI runtime spawned with pipes or on a pty
 * (node-pty, for -t), and the buffering in front of it: input from attach
 * clients waits until the container's stdin exists, output waits until the
 * container has started.
 */
import { spawn } from 'node:child_process';
import { signalExitCode } from '../util/signals.js';
import type { LogStream } from '../store/container-log.js';

/** The container's stdio, whichever way it is wired. */
export interface ContainerIo {
  /** False when the container's stdin is full: stop feeding it until `onInputDrain`. */
  write(data: Buffer): boolean;
  onInputDrain(listener: () => void): void;
  endInput(): void;
  resize(rows: number, cols: number): void;
  /** Stop and restart reading the container's output: it then blocks, as on a full pipe. */
  pauseOutput(): void;
  resumeOutput(): void;
}

/** One thing an attach client asks of the container. */
export type InputEvent =
  | { kind: 'stdin'; data: Buffer }
  | { kind: 'eof' }
  | { kind: 'resize'; rows: number; cols: number }
  /** A signal name skiff knows (TERM, HUP, ...), for the container's init. */
  | { kind: 'signal'; signal: string };

/** The runtime process, spawned with the container's stdio attached to it. */
export interface SpawnedRuntime {
  io: ContainerIo;
  /** Resolves with the runtime's exit code (128+N for signal N) once its output has been read to the end. */
  exited: Promise<number>;
}

/**
 * Spawns the runtime with pipes for the container's stdio (no -t). Output
 * goes to `onOutput` as it is read; stdin is a pipe only when `stdin` (-i).
 * A runtime that cannot be spawned exits with 125.
 */
export function spawnWithPipes(path: string, args: string[], stdin: boolean, onOutput: (stream: LogStream, data: Buffer) => void): SpawnedRuntime {
  const child = spawn(path, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const io: ContainerIo = {
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
  };
  child.stdin?.on('error', () => undefined); // the container may close stdin early
  let open = 2;
  const done = new Promise<void>((resolve) => {
    const onEnd = () => { if (--open === 0) resolve(); };
    child.stdout!.on('end', onEnd);
    child.stderr!.on('end', onEnd);
  });
  child.stdout!.on('data', (d: Buffer) => onOutput('stdout', d));
  child.stderr!.on('data', (d: Buffer) => onOutput('stderr', d));
  const exited = new Promise<number>((resolve) => {
    child.once('error', () => resolve(125));
    // 'close' waits for the pipes too, so no output is lost after exit.
    child.once('close', (code, signal) => {
      void done.then(() => resolve(code ?? signalExitCode(signal!)));
    });
  });
  return { io, exited };
}

/**
 * Spawns the runtime on a new pty of `size` (-t); everything the container
 * writes arrives as stdout. Loads node-pty on first use.
 */
export async function spawnWithPty(
  path: string,
  args: string[],
  size: { rows: number; cols: number },
  onOutput: (stream: LogStream, data: Buffer) => void,
): Promise<SpawnedRuntime> {
  // node-pty is native and heavy: only terminal containers load it.
  const pty = (await import('node-pty')).default;
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
  term.onData((d) => onOutput('stdout', Buffer.isBuffer(d) ? d : Buffer.from(d)));
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
 * The container's stdio as the rest of the monitor sees it, before and
 * after the runtime exists. Input is queued until `connect`; output is held
 * until `releaseOutput`, then passed to `output` as it comes.
 */
export class ContainerStdio {
  private io?: ContainerIo;
  /**
   * An attached client may send input before the runtime is spawned; it is
   * queued, never dropped (an early EOF would otherwise be lost too).
   */
  private pendingInput: InputEvent[] = [];
  private inputWaiters: Array<() => void> = [];
  /**
   * Until the container has started, everything on its stdio is the
   * runtime's own (error) output: hold it back, so a failed start is one
   * `Error:` line from the CLI rather than the runtime's text twice.
   */
  private held: Array<[LogStream, Buffer]> | undefined = [];

  /**
   * @param handlers `output` receives the container's output once released;
   *   `signal` delivers a client's signal event, in its turn with the input around it.
   */
  constructor(private readonly handlers: { output(stream: LogStream, data: Buffer): void; signal(signal: string): void }) {}

  /** Wires the container's stdio in and delivers the input queued so far. Call once. */
  connect(io: ContainerIo): void {
    this.io = io;
    let full = false;
    for (const event of this.pendingInput.splice(0)) {
      if (!this.input(event)) full = true;
    }
    const waiters = this.inputWaiters.splice(0);
    if (full) io.onInputDrain(() => waiters.forEach((w) => w()));
    else waiters.forEach((w) => w());
  }

  /** Handles one event from a client; false when the container's stdin (or the queue before it) cannot take more for now. */
  input(event: InputEvent): boolean {
    if (!this.io) {
      this.pendingInput.push(event.kind === 'stdin' ? { kind: 'stdin', data: Buffer.from(event.data) } : event);
      return event.kind !== 'stdin';
    }
    switch (event.kind) {
      case 'stdin':
        return this.io.write(event.data);
      case 'eof':
        this.io.endInput();
        break;
      case 'resize':
        this.io.resize(event.rows, event.cols);
        break;
      case 'signal':
        this.handlers.signal(event.signal);
        break;
    }
    return true;
  }

  /** Calls `listener` once the container's stdin (or the queue before it) has room again. */
  whenInputDrains(listener: () => void): void {
    if (this.io) this.io.onInputDrain(listener);
    else this.inputWaiters.push(listener);
  }

  pauseOutput(): void {
    this.io?.pauseOutput();
  }

  resumeOutput(): void {
    this.io?.resumeOutput();
  }

  /** Takes output read from the container's stdio: held, or passed on once released. */
  output(stream: LogStream, data: Buffer): void {
    if (this.held) {
      this.held.push([stream, data]);
      return;
    }
    this.handlers.output(stream, data);
  }

  /** The container has started: passes on what was held and everything after it. */
  releaseOutput(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [stream, data] of held) this.output(stream, data);
  }
}
