// attach, detach keys and --sig-proxy, through real pseudo-terminals: the
// detach sequence never reaches the container and leaves it running, a later
// attach gets the same terminal back, and signals to the CLI reach the
// container unless --sig-proxy=false.
import test from 'ava';
import { execa } from 'execa';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { ptySkiff, type PtySession } from '../../helpers/pty-session.js';
import { SKIFF_BIN, poll, sleep, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

const status = async (name: string) => (await env.skiff(['inspect', '--format', '{{.State.Status}}', name])).stdout;

/** Types `keys` one read at a time, as a user's terminal delivers them. */
async function typeKeys(s: PtySession, keys: string[]): Promise<void> {
  for (const k of keys) {
    s.term.write(k);
    await sleep(150);
  }
}

/** Waits for ash's prompt. Its cursor query (ESC[6n) is left unanswered: a reply in the same read as the next keys makes ash drop them. */
const prompt = (s: PtySession, from = 0) => s.expect(/# /, from, 30_000);

test.serial('run -it: ctrl-p ctrl-q detaches, exit 0, still running; attach gets the shell back and exits with its code', async (t) => {
  const name = uniqueName('att');
  const run = ptySkiff(env, ['run', '-it', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'sh']);
  try {
    await prompt(run);
    let from = run.mark();
    run.term.write('echo one-$((20+1))\r');
    await run.expect(/one-21/, from);
    await typeKeys(run, ['\x10', '\x11']);
    t.is((await run.exit()).exitCode, 0, run.output());
    t.is(await status(name), 'running');
  } finally {
    run.kill();
  }

  const again = ptySkiff(env, ['attach', name]);
  try {
    // The shell is where it was; it prints no new prompt until it reads a line.
    await sleep(1000);
    const from = again.mark();
    again.term.write('echo two-$((40+2))\r');
    await again.expect(/two-42/, from);
    again.term.write('exit 3\r');
    t.is((await again.exit()).exitCode, 3, again.output());
  } finally {
    again.kill();
  }
  t.is(await status(name), 'exited');
  await env.skiff(['rm', name]);
});

test.serial('a second attach after a detach: detach again, then attach --no-stdin is not fed the typed keys', async (t) => {
  const name = uniqueName('att');
  await env.skiff(['run', '-d', '-it', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'sh']);
  const first = ptySkiff(env, ['attach', name]);
  try {
    await sleep(1000);
    const from = first.mark();
    first.term.write('echo first-$((1+1))\r');
    await first.expect(/first-2/, from);
    await typeKeys(first, ['\x10', '\x11']);
    t.is((await first.exit()).exitCode, 0, first.output());
  } finally {
    first.kill();
  }
  t.is(await status(name), 'running');

  const watcher = ptySkiff(env, ['attach', '--no-stdin', name]);
  const typer = ptySkiff(env, ['attach', name]);
  try {
    await sleep(1500);
    watcher.term.write('echo from-watcher-$((5+5))\r');
    const from = typer.mark();
    typer.term.write('echo from-typer-$((6+6))\r');
    await typer.expect(/from-typer-12/, from);
    // The watcher sees the container's output, never its own keys run.
    await watcher.expect(/from-typer-12/);
    t.notRegex(typer.output() + watcher.output(), /from-watcher-10/);
    typer.term.write('exit 4\r');
    t.is((await typer.exit()).exitCode, 4, typer.output());
    t.is((await watcher.exit()).exitCode, 4, watcher.output());
  } finally {
    watcher.kill();
    typer.kill();
  }
  await env.skiff(['rm', name]);
});

/** A shell that reports whether its one line of input began with ctrl-p. */
const READS_CTRL_P = `read -r line; case "$line" in "$(printf '\\020')"*) echo "GOT-CTRL-P:\${line#?}" ;; *) echo "OTHER:$line" ;; esac`;

test.serial('--detach-keys "" passes ctrl-p ctrl-q to the container', async (t) => {
  const s = ptySkiff(env, ['run', '-it', '--rm', '--detach-keys', '', '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', `echo ready; stty -ixon; ${READS_CTRL_P}`]);
  try {
    await s.expect(/ready/, 0, 30_000);
    await sleep(300);
    await typeKeys(s, ['\x10', '\x11', 'a\r']);
    await s.expect(/GOT-CTRL-P:\x11a/);
    t.is((await s.exit()).exitCode, 0, s.output());
  } finally {
    s.kill();
  }
});

test.serial('a partial detach sequence followed by other keys is passed through', async (t) => {
  const s = ptySkiff(env, ['run', '-it', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', `echo ready; ${READS_CTRL_P}`]);
  try {
    await s.expect(/ready/, 0, 30_000);
    await sleep(300);
    await typeKeys(s, ['\x10', 'x', 'y\r']);
    await s.expect(/GOT-CTRL-P:xy/);
    t.is((await s.exit()).exitCode, 0, s.output());
  } finally {
    s.kill();
  }
});

test.serial('piped stdin is data: ctrl-p ctrl-q in it reach the container, no detach', async (t) => {
  const r = await env.skiff(['run', '-i', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'wc', '-c'], { stdin: 'a\x10\x11b\n' });
  t.is(r.stdout.trim(), '5');
});

test.serial('--detach-keys ctrl-a,x detaches; ctrl-p ctrl-q then are plain keys', async (t) => {
  const name = uniqueName('att');
  const s = ptySkiff(env, ['run', '-it', '--detach-keys', 'ctrl-a,x', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'sh']);
  try {
    await prompt(s);
    await typeKeys(s, ['\x10', '\x11']);
    const from = s.mark();
    s.term.write('\x15echo still-$((3+4))\r');
    await s.expect(/still-7/, from);
    await typeKeys(s, ['\x01', 'x']);
    t.is((await s.exit()).exitCode, 0, s.output());
    t.is(await status(name), 'running');
  } finally {
    s.kill();
  }
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('start -ai: ctrl-p ctrl-q detaches and the container keeps running', async (t) => {
  const name = uniqueName('att');
  await env.skiff(['create', '-it', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'sh']);
  const s = ptySkiff(env, ['start', '-ai', name]);
  try {
    await prompt(s);
    await typeKeys(s, ['\x10', '\x11']);
    t.is((await s.exit()).exitCode, 0, s.output());
    t.is(await status(name), 'running');
  } finally {
    s.kill();
  }
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('invalid detach keys: podman\'s one Error line, exit 125, no container created', async (t) => {
  const name = uniqueName('att');
  const r = await env.skiff(['run', '-i', '--name', name, '--detach-keys', 'ctrl-1', BUSYBOX_IMAGE, 'true'], { exit: 125 });
  t.is(r.stderr, "Error: invalid detach keys: Unknown character: 'ctrl-1'");
  await env.skiff(['inspect', name], { exit: 125 });
  await env.skiff(['create', '--name', name, BUSYBOX_IMAGE, 'true']);
  t.is((await env.skiff(['start', '-a', '--detach-keys', 'foo', name], { exit: 125 })).stderr, "Error: invalid detach keys: Unknown character: 'foo'");
  t.is((await env.skiff(['start', '--sig-proxy', name], { exit: 125 })).stderr, 'Error: you cannot use sig-proxy without --attach');
  await env.skiff(['rm', name]);
});

test.serial('attach to a container that is not running: podman\'s error, exit 125', async (t) => {
  const name = uniqueName('att');
  await env.skiff(['create', '--name', name, BUSYBOX_IMAGE, 'true']);
  t.is((await env.skiff(['attach', name], { exit: 125 })).stderr, 'Error: you can only attach to running containers');
  await env.skiff(['start', '-a', name]);
  t.is((await env.skiff(['container', 'attach', name], { exit: 125 })).stderr, 'Error: you can only attach to running containers');
  await env.skiff(['rm', name]);
  t.regex((await env.skiff(['attach', name], { exit: 125 })).stderr, /^Error: .*no such container/);
});

/** A container that prints `got-usr1` for each SIGUSR1 its shell receives. */
const TRAPS_USR1 = ['sh', '-c', 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done'];

/** `run` (or `create` then `start -a`) of a TRAPS_USR1 container, with the CLI attached; resolves once the container printed ready. */
async function runTrapping(extra: string[], via: 'run' | 'start -a' = 'run'): Promise<{ name: string; cli: ReturnType<typeof execa>; out: () => string }> {
  const name = uniqueName('sig');
  const container = ['--name', name, '--network', 'none', BUSYBOX_IMAGE, ...TRAPS_USR1];
  let argv = ['run', ...extra, ...container];
  if (via === 'start -a') {
    await env.skiff(['create', ...container]);
    argv = ['start', '-a', ...extra, name];
  }
  const cli = execa(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, ...argv], { reject: false, stdin: 'ignore', timeout: 60_000 });
  let out = '';
  cli.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  if (!(await poll(async () => out.includes('ready'), 30_000))) throw new Error(`${name} never got ready; stdout: ${JSON.stringify(out)}`);
  return { name, cli, out: () => out };
}

const proxies = test.macro({
  async exec(t, via: 'run' | 'start -a') {
    const { name, cli, out } = await runTrapping([], via);
    cli.kill('SIGUSR1');
    t.true(await poll(async () => out().includes('got-usr1'), 10_000), out());
    await env.skiff(['rm', '-f', '-t', '0', name]);
    await cli;
  },
  title: (_p, via: string) => `sig-proxy: SIGUSR1 to ${via} reaches the container`,
});

const doesNotProxy = test.macro({
  async exec(t, via: 'run' | 'start -a') {
    const { name, cli, out } = await runTrapping(['--sig-proxy=false'], via);
    cli.kill('SIGUSR1');
    await sleep(1500);
    t.is(cli.exitCode, null, `${via} ended on SIGUSR1`);
    t.false(out().includes('got-usr1'), out());
    // The container itself still takes the signal: the trap works.
    await env.skiff(['kill', '-s', 'USR1', name]);
    t.true(await poll(async () => out().includes('got-usr1'), 10_000), out());
    await env.skiff(['rm', '-f', '-t', '0', name]);
    await cli;
  },
  title: (_p, via: string) => `--sig-proxy=false: SIGUSR1 to ${via} is not delivered, and it stays attached`,
});

test.serial(proxies, 'run');
test.serial(doesNotProxy, 'run');
test.serial(proxies, 'start -a');
test.serial(doesNotProxy, 'start -a');
