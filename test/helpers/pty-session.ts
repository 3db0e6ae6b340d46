// bin/skiff on a real pseudo-terminal, driven like a user types: write keys,
// wait for output, see the exit code.
import pty from 'node-pty';
import { PROJECT_ROOT, SKIFF_BIN } from './skiff.js';

export interface PtySession {
  term: pty.IPty;
  output(): string;
  /** Resolves with the end offset when the output since `from` matches; rejects after `ms` with what was seen. */
  expect(re: RegExp, from?: number, ms?: number): Promise<number>;
  /** Resolves with the exit; rejects after `ms` with the output. */
  exit(ms?: number): Promise<{ exitCode: number; signal?: number }>;
  mark(): number;
  kill(): void;
}

/** Starts `skiff --root ROOT --runroot RUNROOT ...args` on a new pty of cols × rows. */
export function ptySkiff(env: { root: string; runroot: string }, args: string[], cols = 100, rows = 30): PtySession {
  const term = pty.spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, ...args], {
    name: 'xterm',
    cols,
    rows,
    cwd: PROJECT_ROOT,
    env: { ...process.env, TERM: 'xterm' } as Record<string, string>,
  });
  let out = '';
  const waiters = new Set<() => void>();
  term.onData((d) => {
    out += d;
    for (const w of waiters) w();
  });
  const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) => {
    term.onExit((e) => {
      for (const w of waiters) w();
      resolve(e);
    });
  });
  const expect = (re: RegExp, from = 0, ms = 15_000) =>
    new Promise<number>((resolve, reject) => {
      const check = () => {
        const m = re.exec(out.slice(from));
        if (m) {
          cleanup();
          resolve(from + m.index + m[0].length);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${ms} ms waiting for ${re} in pty output:\n${JSON.stringify(out)}`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  const exit = (ms = 15_000) => {
    let timer: NodeJS.Timeout;
    return Promise.race([
      exited.finally(() => clearTimeout(timer)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no exit after ${ms} ms; pty output:\n${JSON.stringify(out)}`)), ms);
      }),
    ]);
  };
  const kill = () => {
    try {
      term.kill();
    } catch {
      // already gone
    }
  };
  return { term, output: () => out, expect, exit, mark: () => out.length, kill };
}
