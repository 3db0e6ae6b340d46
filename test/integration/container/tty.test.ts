// `run -it` through a real pseudo-terminal, driven by the test like a user:
// the container gets its own pts, the terminal size and later resizes
// reach it, and the shell's exit code comes back.
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { ptySkiff } from '../../helpers/pty-session.js';

const env = useBusyboxEnv();

test.serial('run -it: tty, stty size, resize, exit code', async (t) => {
  const s = ptySkiff(env, ['run', '-it', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'sh']);
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
    const e = await s.exit(15_000);
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
  const s = ptySkiff(env, ['run', '-t', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'tty']);
  try {
    await s.expect(/\/dev\/pts\/0/, 0, 30_000);
    const e = await s.exit(15_000);
    t.is(e.exitCode, 0, s.output());
  } finally {
    try {
      s.term.kill();
    } catch {
      // already gone
    }
  }
});
