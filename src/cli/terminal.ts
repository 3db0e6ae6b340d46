import type { AttachStreams } from '../engine/container/start.js';

/**
 * Wires the user's terminal to an attached container: raw mode for -t (so
 * keys like ^C reach the container), resize events, and a restore that must
 * run on every exit path.
 */
export function terminalStreams(options: { tty: boolean; interactive: boolean }): { streams: AttachStreams; restore: () => void } {
  const stdin = process.stdin;
  const raw = options.tty && options.interactive && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  // podman's warning, word for word; the container still gets its pty.
  if (options.tty && options.interactive && !stdin.isTTY) {
    process.stderr.write('WARN[0000] The input device is not a TTY. The --tty and --interactive flags might not work properly\n');
  }
  const streams: AttachStreams = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: options.interactive ? stdin : undefined,
    onResize: options.tty && process.stdout.isTTY
      ? (listener) => process.stdout.on('resize', () => listener({ rows: process.stdout.rows, cols: process.stdout.columns }))
      : undefined,
    // As podman's --sig-proxy (default true): signals to skiff go to the container,
    // which decides whether to exit; skiff then exits with its code.
    onSignal: (listener) => {
      for (const signal of PROXIED_SIGNALS) process.on(signal, () => listener(signal.slice(3)));
    },
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

const PROXIED_SIGNALS: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** The current terminal size, for the container's initial console size. */
export function consoleSize(): { rows: number; cols: number } | undefined {
  return process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined;
}
