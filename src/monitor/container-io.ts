/**
 * The container's stdio: pipes the runtime's `create` hands to the
 * container, or the container's pty (-t) received from the runtime, and
 * the buffering in front of it: input from attach
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

/** The runtime's `create`, spawned with the container's stdio attached to it. */
export interface SpawnedCreate {
  /** The container's stdio on pipes; undefined with -t, where the pty arrives on the console socket. */
  io?: ContainerIo;
  /** Resolves with `create`'s exit code (125 when it could not be spawned); the container lives on. */
  exited: Promise<number>;
  /** Resolves once the output pipes are at EOF: every process holding them (the container too, without -t) has ended. */
  outputEnded: Promise<void>;
}

/**
 * Spawns the runtime's `create`. Without -t its pipes become the
 * container's stdio (the runtime passes them to the init) and stay
 * open after it exits; stdin is a pipe only when `stdin` (-i). With -t
 * they carry only the runtime's own output. Output goes to `onOutput` as
 * it is read. `passFds` (our fds) become the runtime's 3, 4, ... in order.
 */
export function spawnCreate(path: string, args: string[], stdin: boolean, onOutput: (stream: LogStream, data: Buffer) => void, passFds: number[] = []): SpawnedCreate {
  const child = spawn(path, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', ...passFds] });
  // Node destroys a child's stdin when the child exits; its reader is the container, which outlives `create`.
  const input = child.stdin;
  child.stdin = null;
  const io: ContainerIo = {
    write: (data) => input?.write(data) ?? true,
    onInputDrain: (listener) => input?.once('drain', listener),
    endInput: () => input?.end(),
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
  input?.on('error', () => undefined); // the container may close stdin early
  let open = 2;
  const outputEnded = new Promise<void>((resolve) => {
    const onEnd = () => { if (--open === 0) resolve(); };
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('end', onEnd);
      stream.on('error', onEnd);
    }
  });
  child.stdout!.on('data', (d: Buffer) => onOutput('stdout', d));
  child.stderr!.on('data', (d: Buffer) => onOutput('stderr', d));
  // 'exit', not 'close': the container holds the pipes long after create is gone.
  const exited = new Promise<number>((resolve) => {
    child.once('error', () => resolve(125));
    child.once('exit', (code, signal) => resolve(code ?? signalExitCode(signal!)));
  });
  return { io, exited, outputEnded };
}

/**
 * The container's stdio on its pty (-t), from the master `fd` the runtime
 * sent: everything the container writes arrives as stdout. Takes `fd`
 * over and closes it once the container's side of the pty is gone
 * (reads fail with EIO then).
 */
export async function ptyIo(fd: number, onOutput: (stream: LogStream, data: Buffer) => void): Promise<{ io: ContainerIo; outputEnded: Promise<void> }> {
  const { ReadStream } = await import('node:tty');
  const { setWindowSize } = await import('./native.js');
  // A tty handle is a duplex stream: it writes as well.
  const term = new ReadStream(fd);
  let closed = false;
  term.on('error', () => undefined); // EIO: the container has closed its side
  const outputEnded = new Promise<void>((resolve) => term.once('close', () => {
    closed = true;
    resolve();
  }));
  term.on('data', (d: Buffer) => onOutput('stdout', d));
  let lastByte = 0x0a;
  const io: ContainerIo = {
    write: (data) => {
      if (closed) return true;
      if (data.length) lastByte = data[data.length - 1]!;
      return term.write(data);
    },
    onInputDrain: (listener) => term.once('drain', listener),
    // A terminal has no EOF of its own: type what a user would, ^D (EOT).
    // After an unfinished line the first ^D only ends the line, as in a terminal.
    endInput: () => {
      if (!closed) term.write(lastByte === 0x0a || lastByte === 0x0d ? '\x04' : '\x04\x04');
    },
    // The fd number may belong to something else once the stream has closed it.
    resize: (rows, cols) => {
      if (closed) return;
      try {
        setWindowSize(fd, rows, cols);
      } catch {
        // the container's side is going away: nobody is left to resize for
      }
    },
    pauseOutput: () => term.pause(),
    resumeOutput: () => term.resume(),
  };
  return { io, outputEnded };
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

  /** What is held back of one stream: before the start, the runtime's own output. */
  heldText(stream: LogStream): string {
    return Buffer.concat((this.held ?? []).filter(([s]) => s === stream).map(([, data]) => data)).toString('utf8');
  }

  /** The container has started: passes on what was held and everything after it. */
  releaseOutput(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [stream, data] of held) this.output(stream, data);
  }
}
