// `skiff exec` end to end: podman's exit codes (the command's own, 125
// engine, 126 not executable, 127 not found), the container's environment
// with -e/-w/-u on top, stdin to EOF with -i, a real pty with -t that
// follows resizes, -d sessions that outlive the CLI, detaching from -it
// with the detach keys, -d -t, and ExecIDs.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import pty from 'node-pty';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { ptySkiff, type PtySession } from '../../helpers/pty-session.js';
import { PROJECT_ROOT, SKIFF_BIN, sleep } from '../../helpers/skiff.js';

const env = useBusyboxEnv();
const CTR = 'exectarget';

// Made by the first test that needs them (hooks run concurrently with the env's own).
let containers: Promise<unknown> | undefined;
function ready(): Promise<unknown> {
  containers ??= (async () => {
    await env.skiff(['run', '-d', '--network', 'none', '--name', CTR, '-e', 'FROM_RUN=yes', BUSYBOX_IMAGE, 'sleep', '1000']);
    await env.skiff(['create', '--network', 'none', '--name', 'notrunning', BUSYBOX_IMAGE, 'true']);
  })();
  return containers;
}
test.beforeEach(() => ready());

/** Calls `probe` until it stops throwing; throws its last error after `ms`. */
async function until<T>(probe: () => Promise<T>, ms: number, every = 100): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await sleep(every);
  }
}

async function execIds(): Promise<string[]> {
  const r = await env.skiff(['inspect', '--format', '{{json .ExecIDs}}', CTR]);
  return JSON.parse(r.stdout) as string[];
}

const exitCodes = test.macro(async (t, args: string[], exit: number, stderr?: RegExp) => {
  const r = await env.skiff(['exec', ...args], { exit });
  t.is(r.exitCode, exit);
  if (stderr) {
    t.regex(r.stderr, stderr);
    // One `Error:` line: the runtime's own text is not printed a second time.
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('exit code 0', exitCodes, [CTR, 'true'], 0);
test('the command\'s own exit code: 3', exitCodes, [CTR, 'sh', '-c', 'exit 3'], 3);
test('127 when the command is not found', exitCodes, [CTR, 'nosuchcommand'], 127,
  /^Error: \w+: .*nosuchcommand.*: OCI runtime attempted to invoke a command that was not found$/);
test('126 when the command cannot be executed', exitCodes, [CTR, '/etc/passwd'], 126,
  /^Error: \w+: .*\/etc\/passwd.*permission denied: OCI permission denied$/);
test('125 for an unknown container', exitCodes, ['nosuchcontainer', 'true'], 125,
  /^Error: no container with name or ID "nosuchcontainer" found: no such container$/);
test('125 with podman\'s message for a container that is not running', exitCodes, ['notrunning', 'true'], 125,
  /^Error: can only create exec sessions on running containers: container state improper$/);
test('125 without a command', exitCodes, [CTR], 125, /^Error: .*must provide a non-empty command/);
test('125 for invalid --detach-keys, with podman\'s message', exitCodes, ['--detach-keys', 'ctrl-xy', CTR, 'true'], 125, /^Error: invalid detach keys: Unknown character: 'ctrl-xy'$/);
test('125 for a user the image does not know', exitCodes, ['-u', 'nosuchuser', CTR, 'true'], 125, /^Error: unable to find user nosuchuser/);

test('stdout and stderr stay apart; flags after the command belong to it', async (t) => {
  const r = await env.skiff(['exec', CTR, 'sh', '-c', 'echo out; echo err >&2', '-x']);
  t.is(r.stdout, 'out');
  t.is(r.stderr, 'err');
});

test('the container\'s environment, with -e and --env-file on top', async (t) => {
  const file = join(env.dir, 'exec.env');
  await fsp.writeFile(file, '# comment\nFROM_FILE=file\nFOO=from-file\n');
  const r = await env.skiff(['exec', '--env-file', file, '-e', 'FOO=bar', CTR, 'env']);
  t.true(r.lines.includes('FROM_RUN=yes'), r.stdout);
  t.true(r.lines.includes('FROM_FILE=file'), r.stdout);
  t.true(r.lines.includes('FOO=bar'), r.stdout);
  t.true(r.lines.some((l) => l.startsWith('PATH=')), r.stdout);
});

test('-w sets the working directory; the default is the container\'s', async (t) => {
  t.is((await env.skiff(['exec', CTR, 'pwd'])).stdout, '/');
  t.is((await env.skiff(['exec', '-w', '/etc', CTR, 'pwd'])).stdout, '/etc');
});

test('-u resolves names against the image; the default is the container\'s user', async (t) => {
  t.is((await env.skiff(['exec', CTR, 'id'])).stdout, 'uid=0(root) gid=0(root)');
  t.regex((await env.skiff(['exec', '-u', 'user', CTR, 'id'])).stdout, /^uid=1000\(user\) gid=1000\(user\)/);
  t.regex((await env.skiff(['exec', '-u', '1000:tty', CTR, 'id'])).stdout, /^uid=1000\(user\) gid=5\(tty\)/);
});

test('--privileged gives every capability; the default is the container\'s set', async (t) => {
  const caps = async (args: string[]) => (await env.skiff(['exec', ...args, CTR, 'sh', '-c', 'grep CapEff /proc/self/status'])).stdout.split(/\s+/)[1];
  const base = await caps([]);
  const privileged = await caps(['--privileged']);
  t.not(base, privileged);
  t.true(BigInt(`0x${privileged}`) > BigInt(`0x${base}`));
  t.is((BigInt(`0x${privileged}`) & (1n << 21n)), 1n << 21n, 'CAP_SYS_ADMIN');
});

test('-i streams piped stdin to EOF', async (t) => {
  const input = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n') + '\n';
  const r = await env.skiff(['exec', '-i', CTR, 'cat'], { stdin: input });
  t.is(r.stdout + '\n', input);
  const hi = await env.skiff(['exec', '-i', CTR, 'cat'], { stdin: 'hi\n' });
  t.is(hi.stdout, 'hi');
});

test('without -i the command gets no stdin', async (t) => {
  const r = await env.skiff(['exec', CTR, 'cat'], { stdin: 'not for cat\n', timeout: 20_000 });
  t.is(r.stdout, '');
});

test.serial('-d returns at once, the process outlives the CLI, and ExecIDs lists it while it runs', async (t) => {
  const r = await env.skiff(['exec', '-d', CTR, 'sh', '-c', 'sleep 3; touch /tmp/detached-done']);
  t.regex(r.stdout, /^[0-9a-f]{64}$/);
  t.deepEqual(await execIds(), [r.stdout]);
  // The CLI has exited; the process finishes its work on its own.
  await until(async () => {
    await env.skiff(['exec', CTR, 'test', '-e', '/tmp/detached-done']);
  }, 20_000, 300);
  await until(async () => {
    if ((await execIds()).length !== 0) throw new Error('ExecIDs still lists the finished session');
  }, 10_000, 200);
  t.pass();
});

test.serial('ExecIDs lists a foreground session while it runs and drops it after', async (t) => {
  const running = env.skiff(['exec', CTR, 'sleep', '3']);
  const ids = await until(async () => {
    const now = await execIds();
    if (now.length !== 1) throw new Error(`ExecIDs: ${JSON.stringify(now)}`);
    return now;
  }, 10_000, 100);
  t.regex(ids[0]!, /^[0-9a-f]{64}$/);
  await running;
  t.deepEqual(await execIds(), []);
});

test.serial('a session whose CLI was killed with -9 is not listed once its process is gone', async (t) => {
  const child = pty.spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'exec', CTR, 'sleep', '4'], { cwd: PROJECT_ROOT, env: process.env as Record<string, string> });
  await until(async () => {
    if ((await execIds()).length !== 1) throw new Error('not listed yet');
  }, 10_000, 100);
  // Nobody removes the session's record now; the runtime ends with the process.
  child.kill('SIGKILL');
  await until(async () => {
    const now = await execIds();
    if (now.length !== 0) throw new Error(`ExecIDs: ${JSON.stringify(now)}`);
  }, 15_000, 200);
  t.pass();
});

test.serial('-it: a real pty whose size follows the terminal, and the exit code', async (t) => {
  const term = pty.spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'exec', '-it', CTR, 'sh'], {
    name: 'xterm', cols: 100, rows: 30, cwd: PROJECT_ROOT, env: { ...process.env, TERM: 'xterm' } as Record<string, string>,
  });
  let out = '';
  term.onData((d) => { out += d; });
  const exited = new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)));
  const expect = (re: RegExp, from: number, ms = 15_000) => until(async () => {
    const m = re.exec(out.slice(from));
    if (!m) throw new Error(`no ${re} in ${JSON.stringify(out.slice(from))}`);
    return from + m.index + m[0].length;
  }, ms, 50);
  try {
    await expect(/\/ # /, 0, 30_000);
    let from = out.length;
    term.write('tty\r');
    await expect(/\/dev\/pts\/\d+/, from);
    from = out.length;
    term.write('stty size\r');
    await expect(/30 100/, from);
    term.resize(120, 40);
    // The resize travels asynchronously (SIGWINCH → skiff → runtime): ask until it shows.
    await until(async () => {
      const mark = out.length;
      term.write('stty size\r');
      await expect(/stty size\r*\n\d+ \d+\r*\n/, mark, 2_000);
      if (!/\n40 120\r*\n/.test(out.slice(mark))) throw new Error('not resized yet');
    }, 15_000, 100);
    term.write('exit 7\r');
    t.is(await exited, 7, out);
  } finally {
    try {
      term.kill();
    } catch {
      // already gone
    }
  }
});

test('-t without -i: a terminal, no input', async (t) => {
  const r = await env.skiff(['exec', '-t', CTR, 'tty']);
  t.regex(r.stdout, /^\/dev\/pts\/\d+\r?$/);
});

/** The pids of the container's processes whose command line is `args`. */
async function pidsOf(args: string): Promise<string[]> {
  const r = await env.skiff(['exec', CTR, 'ps', '-o', 'pid,args']);
  return r.lines.map((l) => /^\s*(\d+)\s+(.*?)\s*$/.exec(l)).filter((m) => m?.[2] === args).map((m) => m![1]!);
}

async function running(args: string): Promise<boolean> {
  return (await pidsOf(args)).length > 0;
}

async function killAll(args: string): Promise<void> {
  const pids = await pidsOf(args);
  if (pids.length) await env.skiff(['exec', CTR, 'kill', '-9', ...pids]);
}

/** The session ids in ExecIDs other than `before`. */
async function newExecIds(before: string[]): Promise<string[]> {
  return (await execIds()).filter((id) => !before.includes(id));
}

/** Whether a process of ours (the pty holder of a session) still has `id` on its command line. */
async function holderRunning(id: string): Promise<boolean> {
  for (const pid of await fsp.readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('exec-pty-holder') && cmdline.includes(id)) return true;
  }
  return false;
}

function endPty(s: PtySession): void {
  s.kill();
}

test.serial('-it: ctrl-p ctrl-q detaches; skiff exits 0 silently, the shell runs on in ExecIDs until it ends', async (t) => {
  const before = await execIds();
  const s = ptySkiff(env, ['exec', '-it', CTR, 'sh', '-c', 'exec sh -i']);
  try {
    await s.expect(/\/ # /, 0, 30_000);
    const from = s.mark();
    s.term.write('\x10\x11');
    const e = await s.exit(15_000);
    t.is(e.exitCode, 0, s.output());
    t.notRegex(s.output().slice(from), /Error|ERRO/);
  } finally {
    endPty(s);
  }
  const [id] = await newExecIds(before);
  t.regex(id ?? '', /^[0-9a-f]{64}$/);
  t.true(await running('sh -i'), 'the exec\'d shell still runs after the detach');
  t.true(await holderRunning(id!), 'a holder keeps its terminal');
  // The session ends with its process: dropped from ExecIDs, its holder gone.
  await killAll('sh -i');
  await until(async () => {
    if ((await newExecIds(before)).length !== 0) throw new Error('ExecIDs still lists the ended session');
    if (await holderRunning(id!)) throw new Error('the pty holder still runs');
  }, 15_000, 200);
});

test.serial('-it --detach-keys ctrl-a,x: those keys detach, and ctrl-p ctrl-q reach the process', async (t) => {
  const before = await execIds();
  // The process prints the first two bytes it reads, in hex.
  const s = ptySkiff(env, ['exec', '-it', '--detach-keys', 'ctrl-a,x', CTR, 'sh', '-c', 'stty -ixon; echo ready; head -c 2 | busybox od -An -tx1; echo done; exec sleep 1001']);
  try {
    await s.expect(/ready/, 0, 30_000);
    s.term.write('\x10\x11\r');
    await s.expect(/10 11\s+done/, 0, 15_000);
    s.term.write('\x01x');
    const e = await s.exit(15_000);
    t.is(e.exitCode, 0, s.output());
  } finally {
    endPty(s);
  }
  t.is((await newExecIds(before)).length, 1);
  t.true(await running('sleep 1001'));
  await killAll('sleep 1001');
});

test.serial('-it --detach-keys "": ctrl-p ctrl-q go to the process and never detach', async (t) => {
  const s = ptySkiff(env, ['exec', '-it', '--detach-keys', '', CTR, 'sh', '-c', 'stty -ixon; echo ready; head -c 2 | busybox od -An -tx1; exit 4']);
  try {
    await s.expect(/ready/, 0, 30_000);
    s.term.write('\x10\x11');
    await sleep(500);
    s.term.write('\r');
    await s.expect(/10 11/, 0, 15_000);
    const e = await s.exit(15_000);
    t.is(e.exitCode, 4, s.output());
  } finally {
    endPty(s);
  }
});

test.serial('-d -t: prints the session id, the process gets a terminal and runs on; its output goes nowhere', async (t) => {
  const before = await execIds();
  // Far more output than a terminal buffers: the process would block if nobody drained it.
  const r = await env.skiff(['exec', '-dt', CTR, 'sh', '-c', 'tty > /tmp/dt-tty; seq 1 100000; touch /tmp/dt-done; exec sleep 1002']);
  t.regex(r.stdout, /^[0-9a-f]{64}$/);
  t.is(r.stderr, '');
  t.deepEqual(await newExecIds(before), [r.stdout]);
  await until(async () => {
    await env.skiff(['exec', CTR, 'test', '-e', '/tmp/dt-done']);
  }, 20_000, 300);
  t.regex((await env.skiff(['exec', CTR, 'cat', '/tmp/dt-tty'])).stdout, /^\/dev\/pts\/\d+$/);
  t.true(await running('sleep 1002'));
  await killAll('sleep 1002');
  await until(async () => {
    if ((await newExecIds(before)).length !== 0) throw new Error('ExecIDs still lists the ended session');
    if (await holderRunning(r.stdout)) throw new Error('the pty holder still runs');
  }, 15_000, 200);
});

for (const flags of [['-d'], ['-dt']]) {
  test(`${flags.join(' ')}: a command that is not found or not executable is 125 with the runtime's message, as podman's exec -d`, async (t) => {
    const missing = await env.skiff(['exec', ...flags, CTR, 'nosuchcommand'], { exit: 125 });
    t.regex(missing.stderr, /^Error: \w+: .*nosuchcommand.*command that was not found$/);
    const denied = await env.skiff(['exec', ...flags, CTR, '/etc/passwd'], { exit: 125 });
    t.regex(denied.stderr, /^Error: \w+: .*\/etc\/passwd.*permission denied: OCI permission denied$/);
  });
}

test('-l acts on the latest container (here the one that is not running)', async (t) => {
  const r = await env.skiff(['exec', '-l', 'echo', 'hi'], { exit: 125 });
  t.regex(r.stderr, /^Error: can only create exec sessions on running containers/);
});

test('a signal to skiff reaches the process, and its exit code comes back', async (t) => {
  const child = spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'exec', CTR, 'sh', '-c', 'trap "exit 9" TERM; echo ready; while :; do sleep 0.1; done'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until(async () => {
    if (!out.includes('ready')) throw new Error(`not ready: ${out}`);
  }, 30_000);
  child.kill('SIGTERM');
  t.is(await exited, 9, out);
});

test('container exec is the same command', async (t) => {
  t.is((await env.skiff(['container', 'exec', CTR, 'echo', 'hi'])).stdout, 'hi');
});

test.serial('a failed -d exec leaves no session behind', async (t) => {
  await env.skiff(['exec', '-d', CTR, 'nosuchcommand'], { exit: 125 });
  const dirs = await fsp.readdir(join(env.root, 'containers', await containerId(), 'exec')).catch((): string[] => []);
  const leftovers = [];
  for (const d of dirs) {
    const files = await fsp.readdir(join(env.root, 'containers', await containerId(), 'exec', d)).catch((): string[] => []);
    // Only a session that runs has a session.json (the -d tests may have left one running).
    if (!files.includes('session.json')) leftovers.push(`${d}: ${files.join(',')}`);
  }
  t.deepEqual(leftovers, []);
});

async function containerId(): Promise<string> {
  return (await env.skiff(['inspect', '--format', '{{.Id}}', CTR])).stdout;
}
