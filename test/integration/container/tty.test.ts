// `run -it` through a real pseudo-terminal, driven by the test like a user:
// the container gets its own pts, the terminal size and later resizes
// reach it, and the shell's exit code comes back.
import test from 'ava';
import pty from 'node-pty';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { PROJECT_ROOT, SKIFF_BIN } from '../../helpers/skiff.js';

const env = useBusyboxEnv();


interface Session {
  term: pty.IPty;
  output(): string;
  /** Resolves when the output since `from` matches; rejects after `ms` with what was seen. */
  expect(re: RegExp, from?: number, ms?: number): Promise<number>;
  exited: Promise<{ exitCode: number; signal?: number }>;
  mark(): number;
}

function spawn(args: string[], cols = 100, rows = 30): Session {
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
  return { term, output: () => out, expect, exited, mark: () => out.length };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
    }),
  ]);
}

test.serial('run -it: tty, stty size, resize, exit code', async (t) => {
  const s = spawn(['run', '-it', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'sh']);
  try {
    // Wait for the shell prompt before typing. busybox ash follows each prompt
    // with a cursor position query (ESC[6n); leave it unanswered: a reply in
    // the same read as the next keys makes ash drop those keys.
    await s.expect(/\/ # /, 0, 30_000);

    let from = s.mark();
    s.term.write('tty\r');
    await s.expect(/\/dev\/pts\/0/, from);

    from = s.mark();
    s.term.write('stty size\r');
    await s.expect(/30 100/, from);

    s.term.resize(120, 40);
    // The resize travels asynchronously (SIGWINCH → monitor → runtime): poll.
    const deadline = Date.now() + 10_000;
    let ok = false;
    while (!ok && Date.now() < deadline) {
      from = s.mark();
      s.term.write('stty size\r');
      // Each answer is "ROWS COLS" on a line of its own.
      const end = await s.expect(/stty size\r*\n\d+ \d+\r*\n/, from, 5_000);
      ok = /\n40 120\r*\n/.test(s.output().slice(from, end));
      if (!ok) await new Promise((r) => setTimeout(r, 200));
    }
    t.true(ok, `stty size never showed 40 120 after resize; output:\n${JSON.stringify(s.output())}`);

    s.term.write('exit 5\r');
    const e = await withTimeout(s.exited, 15_000, () => `no exit; output:\n${JSON.stringify(s.output())}`);
    t.is(e.exitCode, 5, s.output());
  } finally {
    try {
      s.term.kill();
    } catch {
      // already gone
    }
  }
});

test.serial('run -t without -i still gets a terminal', async (t) => {
  const s = spawn(['run', '-t', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'tty']);
  try {
    await s.expect(/\/dev\/pts\/0/, 0, 30_000);
    const e = await withTimeout(s.exited, 15_000, () => `no exit; output:\n${JSON.stringify(s.output())}`);
    t.is(e.exitCode, 0, s.output());
  } finally {
    try {
      s.term.kill();
    } catch {
      // already gone
    }
  }
});
