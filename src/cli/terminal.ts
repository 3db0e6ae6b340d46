import type { AttachStreams } from '../engine/container/start.js';
import { DetachKeyMatcher } from './detach-keys.js';

/** How the user's terminal is wired to an attached container. */
export interface TerminalOptions {
  /** The container has a pty (-t). */
  tty: boolean;
  /** Forward stdin to the container (-i, and not attach --no-stdin). */
  interactive: boolean;
  /** The detach sequence from parseDetachKeys; empty or absent: no detaching. */
  detachKeys?: Buffer;
  /** Forward signals sent to skiff to the container (--sig-proxy, default true). */
  sigProxy?: boolean;
  /** Send the terminal's size at once (attach: the pty may have another size than this terminal). */
  syncSize?: boolean;
}

/**
 * Wires the user's terminal to an attached container: raw mode for -t (so
 * keys like ^C reach the container), resize events, detach keys, signals,
 * and a restore that must run on every exit path.
 */
export function terminalStreams(options: TerminalOptions): { streams: AttachStreams; restore: () => void } {
  const stdin = process.stdin;
  const raw = options.tty && options.interactive && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  // podman's warning, word for word; the container still gets its pty.
  if (options.tty && options.interactive && !stdin.isTTY) {
    process.stderr.write('WARN[0000] The input device is not a TTY. The --tty and --interactive flags might not work properly\n');
  }
  // podman (Go) ignores the signals that would otherwise end or, for Node,
  // open the inspector on SIGUSR1; the ones that end a program still end skiff.
  if (options.sigProxy === false) for (const signal of IGNORED_UNPROXIED) process.on(signal, () => undefined);
  const streams: AttachStreams = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: options.interactive ? stdin : undefined,
    onResize: options.tty && process.stdout.isTTY
      ? (listener) => {
          const size = () => listener({ rows: process.stdout.rows, cols: process.stdout.columns });
          process.stdout.on('resize', size);
          if (options.syncSize) size();
        }
      : undefined,
    // As podman's --sig-proxy (default true, with or without -t): signals to skiff
    // go to the container, which decides whether to exit; skiff then exits with its code.
    onSignal: options.sigProxy === false
      ? undefined
      : (listener) => {
          for (const signal of PROXIED_SIGNALS) process.on(signal, () => listener(signal.slice(3)));
        },
    // Only keys a user types: bytes piped in (`run -i < file`) are data and go through whole.
    detach: options.detachKeys?.length && stdin.isTTY ? new DetachKeyMatcher(options.detachKeys) : undefined,
  };
  return {
    streams,
    restore: () => {
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      stdin.unref?.();
    },
  };
}

/** podman proxies every signal but SIGCHLD, SIGURG, SIGSTOP and SIGKILL; these are the ones a user sends. */
const PROXIED_SIGNALS: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'];
const IGNORED_UNPROXIED: NodeJS.Signals[] = ['SIGUSR1', 'SIGUSR2', 'SIGALRM'];

/**
 * The current terminal size, for the container's initial console size:
 * stdout's, else (output captured, input from a terminal) stdin's, as
 * podman reads it from stdin.
 */
export function consoleSize(): { rows: number; cols: number } | undefined {
  if (process.stdout.isTTY) return { rows: process.stdout.rows, cols: process.stdout.columns };
  if (!process.stdin.isTTY) return undefined;
  // Node gives sizes only for output streams: stty reads the one of our stdin.
  // child_process is loaded here only: most commands never need it.
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const result = spawnSync('stty', ['size'], { stdio: [0, 'pipe', 'ignore'], encoding: 'utf8', timeout: 2000 });
  const [rows, cols] = (result.stdout ?? '').trim().split(' ').map(Number);
  return rows > 0 && cols > 0 ? { rows, cols } : undefined;
}
