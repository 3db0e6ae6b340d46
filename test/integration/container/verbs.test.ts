// The small container verbs, end to end as a podman user types them:
// container exists, restart, rename, port, container prune.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import test from 'ava';
import pty from 'node-pty';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { PROJECT_ROOT, SKIFF_BIN, sleep, uniqueName } from '../../helpers/skiff.js';

const IMG = BUSYBOX_IMAGE;
const env = useBusyboxEnv();

/** A container that stops at once on SIGTERM (pid 1 ignores signals it does not trap). */
const QUICK_STOP = ['sh', '-c', 'trap "exit 0" TERM; sleep 1000 & wait'];

async function runDetached(name: string, cmd: string[] = QUICK_STOP, extra: string[] = []): Promise<string> {
  return (await env.skiff(['run', '-d', '--network', 'none', '--name', name, ...extra, IMG, ...cmd])).stdout.trim();
}

async function inspect(name: string, format: string): Promise<string> {
  return (await env.skiff(['container', 'inspect', '--format', format, name])).stdout;
}

// ---- container exists ----

test.serial('container exists: 0 for a name, an id and an id prefix, 1 for an unknown one; prints nothing', async (t) => {
  const name = uniqueName('ex');
  const id = (await env.skiff(['create', '--network', 'none', '--name', name, IMG, 'true'])).stdout.trim();
  for (const target of [name, id, id.slice(0, 12)]) {
    const r = await env.skiff(['container', 'exists', target]);
    t.is(r.stdout + r.stderr, '', target);
  }
  const missing = await env.skiff(['container', 'exists', uniqueName('none')], { exit: 1 });
  t.is(missing.stdout + missing.stderr, '');
  await env.skiff(['container', 'exists', '--external', name]);
  await env.skiff(['rm', name]);
  await env.skiff(['container', 'exists', name], { exit: 1 });
});

test.serial('container exists: wrong usage is 125 with one Error line', async (t) => {
  const none = await env.skiff(['container', 'exists'], { exit: 125 });
  t.regex(none.stderr, /^Error: .*requires exactly 1 argument/);
  await env.skiff(['container', 'exists', 'a', 'b'], { exit: 125 });
  await env.skiff(['container', 'exists', '--bogus', 'a'], { exit: 125 });
});

// ---- restart ----

test.serial('restart stops a running container and starts it again; prints the name as given', async (t) => {
  const name = uniqueName('rs');
  await runDetached(name);
  const pid = await inspect(name, '{{.State.Pid}}');
  const started = await inspect(name, '{{.State.StartedAt}}');
  const r = await env.skiff(['restart', '-t', '5', name], { timeout: 30_000 });
  t.is(r.stdout, name);
  t.is(await inspect(name, '{{.State.Status}}'), 'running');
  t.not(await inspect(name, '{{.State.Pid}}'), pid);
  t.not(await inspect(name, '{{.State.StartedAt}}'), started);
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('restart starts an exited container; -t 0 kills at once', async (t) => {
  const name = uniqueName('rx');
  await runDetached(name, ['sh', '-c', 'sleep 1000']);
  await env.skiff(['stop', '-t', '0', name]);
  t.is(await inspect(name, '{{.State.Status}}'), 'exited');
  await env.skiff(['restart', name]);
  t.is(await inspect(name, '{{.State.Status}}'), 'running');
  const began = Date.now();
  // sh as pid 1 ignores SIGTERM: without -t 0 this would wait 10 seconds.
  await env.skiff(['restart', '-t', '0', name], { timeout: 30_000 });
  t.true(Date.now() - began < 8_000);
  t.is(await inspect(name, '{{.State.Status}}'), 'running');
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('restart --all --running restarts only running ones; --filter selects by label; both print full ids', async (t) => {
  const label = uniqueName('grp');
  const up = uniqueName('up');
  const down = uniqueName('down');
  const upId = await runDetached(up, QUICK_STOP, ['--label', `grp=${label}`]);
  const downId = (await env.skiff(['create', '--network', 'none', '--name', down, '--label', `grp=${label}`, IMG, 'true'])).stdout.trim();
  const onlyRunning = await env.skiff(['restart', '-a', '--running', '--filter', `label=grp=${label}`], { timeout: 30_000 });
  t.deepEqual(onlyRunning.lines, [upId]);
  t.is(await inspect(down, '{{.State.Status}}'), 'created');
  const both = await env.skiff(['restart', '--filter', `label=grp=${label}`], { timeout: 30_000 });
  t.deepEqual([...both.lines].sort(), [upId, downId].sort());
  // `true` ran and exited: it was started.
  t.regex(await inspect(down, '{{.State.Status}}'), /^(running|exited)$/);
  await env.skiff(['rm', '-f', '-t', '0', up, down]);
});

test.serial('restart: unknown container, no target, names with --all, a bad filter are 125', async (t) => {
  const unknown = await env.skiff(['restart', 'no-such-ctr'], { exit: 125 });
  t.is(unknown.stderr.trim(), 'Error: no container with name or ID "no-such-ctr" found: no such container');
  const none = await env.skiff(['restart'], { exit: 125 });
  t.is(none.stderr.trim(), 'Error: you must provide at least one name or id');
  await env.skiff(['restart', '--running'], { exit: 125 });
  await env.skiff(['restart', '-a', 'x'], { exit: 125 });
  const bad = await env.skiff(['restart', '--filter', 'colour=red'], { exit: 125 });
  t.regex(bad.stderr, /^Error: colour is an invalid filter/);
});

test.serial('restart of a running --rm container restarts it in place, and it stays --rm (as podman)', async (t) => {
  const name = uniqueName('rsrm');
  const id = await runDetached(name, QUICK_STOP, ['--rm']);
  const pid = await inspect(name, '{{.State.Pid}}');
  const r = await env.skiff(['restart', name], { timeout: 30_000 });
  t.is(r.stdout, name);
  t.is(await inspect(name, '{{.Id}}'), id, 'the stop of the restart did not remove it');
  t.is(await inspect(name, '{{.State.Status}}'), 'running');
  t.not(await inspect(name, '{{.State.Pid}}'), pid);
  // Killed (-t 0) rather than stopped: the same.
  await env.skiff(['restart', '-t', '0', name], { timeout: 30_000 });
  t.is(await inspect(name, '{{.State.Status}}'), 'running');
  // Its next exit removes it, as --rm says.
  await env.skiff(['stop', name], { timeout: 30_000 });
  const ps = await env.skiff(['ps', '-a', '--filter', `id=${id}`, '--format', '{{.ID}}']);
  t.deepEqual(ps.lines, []);
});

// ---- rename ----

async function names(): Promise<string[]> {
  return (await env.skiff(['ps', '-a', '--format', '{{.Names}}'])).lines;
}

test.serial('rename: the new name resolves, the old one is free for a new container; prints nothing', async (t) => {
  const old = uniqueName('old');
  const renamed = uniqueName('new');
  const id = (await env.skiff(['create', '--network', 'none', '--name', old, IMG, 'true'])).stdout.trim();
  const r = await env.skiff(['rename', old, renamed]);
  t.is(r.stdout + r.stderr, '');
  await env.skiff(['container', 'exists', old], { exit: 1 });
  t.is(await inspect(renamed, '{{.Id}}'), id);
  t.is(await inspect(id, '{{.Name}}'), renamed);
  t.true((await names()).includes(renamed));
  t.false((await names()).includes(old));
  const other = (await env.skiff(['create', '--network', 'none', '--name', old, IMG, 'true'])).stdout.trim();
  t.not(other, id);
  // Renaming to its own name is a no-op, as podman's.
  await env.skiff(['container', 'rename', renamed, renamed]);
  await env.skiff(['rm', old, renamed]);
});

test.serial('rename a running container: it keeps running, and stop and rm find it by the new name', async (t) => {
  const old = uniqueName('rold');
  const renamed = uniqueName('rnew');
  await runDetached(old);
  const pid = await inspect(old, '{{.State.Pid}}');
  await env.skiff(['rename', old, renamed]);
  t.is(await inspect(renamed, '{{.State.Status}}'), 'running');
  t.is(await inspect(renamed, '{{.State.Pid}}'), pid);
  await env.skiff(['stop', renamed]);
  t.is(await inspect(renamed, '{{.State.Status}}'), 'exited');
  await env.skiff(['rm', renamed]);
  await env.skiff(['container', 'exists', renamed], { exit: 1 });
});

test.serial('rename a running --rm container: its removal on exit frees the new name', async (t) => {
  const old = uniqueName('rmold');
  const renamed = uniqueName('rmnew');
  await runDetached(old, QUICK_STOP, ['--rm']);
  await env.skiff(['rename', old, renamed]);
  await env.skiff(['stop', renamed]);
  await env.skiff(['container', 'exists', renamed], { exit: 1 });
  await env.skiff(['create', '--network', 'none', '--name', renamed, IMG, 'true']);
  await env.skiff(['create', '--network', 'none', '--name', old, IMG, 'true']);
  await env.skiff(['rm', renamed, old]);
  t.pass();
});

test.serial('rename to a taken name is 125 with podman\'s error, and both containers keep their names', async (t) => {
  const a = uniqueName('ta');
  const b = uniqueName('tb');
  const aId = (await env.skiff(['create', '--network', 'none', '--name', a, IMG, 'true'])).stdout.trim();
  const bId = (await env.skiff(['create', '--network', 'none', '--name', b, IMG, 'true'])).stdout.trim();
  const r = await env.skiff(['rename', a, b], { exit: 125 });
  t.is(r.stderr.trim(), `Error: renaming container ${aId}: name ${b} already in use, cannot rename container ${aId}: container already exists`);
  t.is(await inspect(a, '{{.Id}}'), aId);
  t.is(await inspect(b, '{{.Id}}'), bId);
  await env.skiff(['rm', a, b]);
});

test.serial('two renames to one name at once: exactly one wins, the other keeps its old name', async (t) => {
  const a = uniqueName('ca');
  const b = uniqueName('cb');
  const target = uniqueName('won');
  await env.skiff(['create', '--network', 'none', '--name', a, IMG, 'true']);
  await env.skiff(['create', '--network', 'none', '--name', b, IMG, 'true']);
  const results = await Promise.allSettled([env.skiff(['rename', a, target]), env.skiff(['rename', b, target])]);
  t.is(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results.map((r) => r.status === 'rejected' ? String(r.reason) : 'ok')));
  const listed = await names();
  t.true(listed.includes(target));
  t.is(listed.filter((n) => n === a || n === b).length, 1, listed.join(','));
  await env.skiff(['rm', target, listed.includes(a) ? a : b]);
});

test.serial('rename: unknown container, bad name, wrong argument count are 125', async (t) => {
  const name = uniqueName('bad');
  await env.skiff(['create', '--network', 'none', '--name', name, IMG, 'true']);
  const unknown = await env.skiff(['rename', 'no-such-ctr', 'x'], { exit: 125 });
  t.is(unknown.stderr.trim(), 'Error: no container with name or ID "no-such-ctr" found: no such container');
  const bad = await env.skiff(['rename', name, 'bad name'], { exit: 125 });
  t.regex(bad.stderr, /^Error: invalid container name "bad name": names must match/);
  await env.skiff(['rename', name], { exit: 125 });
  await env.skiff(['rename', name, 'a', 'b'], { exit: 125 });
  t.is(await inspect(name, '{{.Name}}'), name);
  await env.skiff(['rm', name]);
});

// ---- container prune ----

/** Creates a container labelled `label` that is created (never started), or exited when `run`. */
async function labelled(label: string, state: 'created' | 'exited' | 'running'): Promise<string> {
  const name = uniqueName(state);
  if (state === 'running') return runDetached(name, QUICK_STOP, ['--label', label]);
  const id = (await env.skiff(['create', '--network', 'none', '--name', name, '--label', label, IMG, 'true'])).stdout.trim();
  if (state === 'exited') await env.skiff(['start', '-a', id]);
  return id;
}

async function allIds(): Promise<string[]> {
  return (await env.skiff(['ps', '-a', '-q', '--no-trunc'])).lines;
}

test.serial('container prune -f removes created and exited containers, keeps running ones, prints the full ids', async (t) => {
  const created = await labelled('p1', 'created');
  const exited = await labelled('p1', 'exited');
  const running = await labelled('p1', 'running');
  const r = await env.skiff(['container', 'prune', '-f']);
  t.true(r.lines.includes(created) && r.lines.includes(exited), r.stdout);
  t.false(r.lines.includes(running));
  for (const line of r.lines) t.regex(line, /^[0-9a-f]{64}$/);
  const left = await allIds();
  t.deepEqual(left.filter((id) => id === created || id === exited), []);
  t.true(left.includes(running));
  // Nothing left to prune: no output.
  t.is((await env.skiff(['container', 'prune', '-f'])).stdout, '');
  await env.skiff(['rm', '-f', '-t', '0', running]);
});

test.serial('container prune --filter: label=, label!= and until= narrow what is removed', async (t) => {
  const tag = uniqueName('lbl');
  const mine = await labelled(`grp=${tag}`, 'exited');
  const theirs = await labelled(`grp=${tag}-other`, 'exited');
  const byLabel = await env.skiff(['container', 'prune', '-f', '--filter', `label=grp=${tag}`]);
  t.deepEqual(byLabel.lines, [mine]);
  t.true((await allIds()).includes(theirs));
  // Created just now: not older than an hour, so until=1h keeps it.
  t.deepEqual((await env.skiff(['container', 'prune', '-f', '--filter', 'until=1h'])).lines, []);
  t.true((await allIds()).includes(theirs));
  const keepMe = await labelled(`grp=${tag}`, 'created');
  const notMine = await env.skiff(['container', 'prune', '-f', '--filter', `label!=grp=${tag}`, '--filter', 'until=0s']);
  t.true(notMine.lines.includes(theirs));
  t.false(notMine.lines.includes(keepMe));
  t.true((await allIds()).includes(keepMe));
  await env.skiff(['rm', keepMe]);
});

/** Runs skiff in a pty; answers `reply` once `prompt` shows; resolves with the terminal's output and the exit code. */
function inPty(args: string[], prompt: string, reply: string, ms = 30_000): Promise<{ output: string; exitCode: number }> {
  const term = pty.spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, ...args], {
    name: 'xterm', cols: 100, rows: 30, cwd: PROJECT_ROOT, env: { ...process.env, TERM: 'xterm' } as Record<string, string>,
  });
  let output = '';
  let answered = false;
  term.onData((d) => {
    output += d;
    if (!answered && output.includes(prompt)) {
      answered = true;
      term.write(`${reply}\r`);
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      term.kill();
      reject(new Error(`timed out after ${ms} ms; pty output:\n${JSON.stringify(output)}`));
    }, ms);
    term.onExit(({ exitCode }) => {
      clearTimeout(timer);
      setTimeout(() => resolve({ output, exitCode }), 100);
    });
  });
}

test.serial('container prune without -f asks first: N keeps everything, y removes; without a terminal nothing is removed', async (t) => {
  const tag = uniqueName('ask');
  const id = await labelled(`grp=${tag}`, 'exited');
  const prompt = 'Are you sure you want to continue? [y/N] ';
  const no = await inPty(['container', 'prune', '--filter', `label=grp=${tag}`], prompt, 'N');
  t.is(no.exitCode, 0);
  t.true(no.output.includes('WARNING! This will remove all non running containers.'), no.output);
  t.true((await allIds()).includes(id));
  const quiet = await env.skiff(['container', 'prune', '--filter', `label=grp=${tag}`]);
  t.is(quiet.stdout, '');
  t.true((await allIds()).includes(id));
  const yes = await inPty(['container', 'prune', '--filter', `label=grp=${tag}`], prompt, 'y');
  t.is(yes.exitCode, 0);
  t.true(yes.output.includes(id), yes.output);
  t.false((await allIds()).includes(id));
});

test.serial('container prune: a bad filter or an argument is 125 before any prompt, and nothing is removed', async (t) => {
  const id = await labelled('bad', 'exited');
  const unknown = await env.skiff(['container', 'prune', '--filter', 'status=exited'], { exit: 125 });
  t.is(unknown.stderr.trim(), 'Error: status is an invalid filter');
  const until = await env.skiff(['container', 'prune', '-f', '--filter', 'until=abc'], { exit: 125 });
  t.is(until.stderr.trim(), 'Error: failed to parse value as time or duration: "abc"');
  await env.skiff(['container', 'prune', '-f', id], { exit: 125 });
  t.true((await allIds()).includes(id));
  await env.skiff(['rm', id]);
});

// ---- port ----

test.serial('port: a container without published ports prints nothing and exits 0, as podman', async (t) => {
  const name = uniqueName('port');
  const id = await runDetached(name);
  for (const args of [['port', name], ['port', name, '80'], ['port', name, '53/udp'], ['container', 'port', id.slice(0, 12)], ['port', '-l', '80']]) {
    const r = await env.skiff(args);
    t.is(r.stdout + r.stderr, '', args.join(' '));
  }
  const all = await env.skiff(['port', '-a']);
  t.false(all.stdout.includes(id.slice(0, 12)));
  t.is(all.stderr, '');
  await env.skiff(['rm', '-f', '-t', '0', name]);
  const created = uniqueName('portc');
  await env.skiff(['create', '--network', 'none', '--name', created, IMG, 'true']);
  t.is((await env.skiff(['port', created])).stdout, '');
  await env.skiff(['rm', created]);
});

test.serial('port: unknown container, no container, names with -a, a bad port are 125', async (t) => {
  const unknown = await env.skiff(['port', 'no-such-ctr'], { exit: 125 });
  t.is(unknown.stderr.trim(), 'Error: no container with name or ID "no-such-ctr" found: no such container');
  t.is((await env.skiff(['port'], { exit: 125 })).stderr.trim(), 'Error: you must supply a running container name or id');
  t.is((await env.skiff(['port', '-a', 'x'], { exit: 125 })).stderr.trim(), 'Error: no arguments are needed with --all');
  const name = uniqueName('portbad');
  await env.skiff(['create', '--network', 'none', '--name', name, IMG, 'true']);
  const bad = await env.skiff(['port', name, 'abc'], { exit: 125 });
  t.regex(bad.stderr, /^Error: invalid port "abc"/);
  await env.skiff(['port', name, '80', 'x'], { exit: 125 });
  await env.skiff(['rm', name]);
});

// ---- top ----

/** Splits `skiff top` output into rows of cells (no cell but COMMAND holds spaces here; it comes last). */
function topRows(stdout: string, columns: number): string[][] {
  return stdout.split('\n').map((l) => {
    const cells = l.trim().split(/\s+/);
    return [...cells.slice(0, columns - 1), cells.slice(columns - 1).join(' ')];
  });
}

test.serial('top: podman\'s default columns, one row per process of the container, init first as PID 1', async (t) => {
  const name = uniqueName('top');
  await runDetached(name, ['sh', '-c', 'sleep 1000 & sleep 2000 & wait']);
  await sleep(300);
  const r = await env.skiff(['top', name]);
  t.regex(r.lines[0], /^USER {8}PID {9}PPID {8}%CPU {8}ELAPSED +TTY +TIME +COMMAND$/);
  const rows = topRows(r.stdout, 8).slice(1);
  t.is(rows.length, 3, r.stdout);
  t.deepEqual(rows[0].slice(0, 3), ['root', '1', '0']);
  t.is(rows[0][7], 'sh -c sleep 1000 & sleep 2000 & wait');
  t.deepEqual(rows.slice(1).map((row) => [row[0], row[2], row[5], row[7]]).sort(), [['root', '1', '?', 'sleep 1000'], ['root', '1', '?', 'sleep 2000']]);
  for (const row of rows) t.regex(row[3], /^\d+\.\d{3}$/);
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('top with descriptors: container and host ids side by side; users named from the container\'s /etc/passwd; AIX codes', async (t) => {
  const name = uniqueName('topd');
  await runDetached(name, ['sh', '-c', 'sleep 1000 & wait'], ['-u', '1000:1000']);
  await sleep(300);
  const hostInit = await inspect(name, '{{.State.Pid}}');
  const r = await env.skiff(['top', name, 'pid', 'hpid', 'user', 'huser', 'group', 'comm']);
  t.deepEqual(r.lines[0].trim().split(/\s+/), ['PID', 'HPID', 'USER', 'HUSER', 'GROUP', 'COMMAND']);
  const rows = topRows(r.stdout, 6).slice(1);
  t.deepEqual(rows[0].slice(0, 2), ['1', hostInit]);
  // uid 1000 in the container is the user's sub-id range start + 999 on the host.
  const me = userInfo().username;
  const range = readFileSync('/etc/subuid', 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === me || f[0] === String(process.getuid!()));
  const expectedHostUid = range ? String(Number(range[1]) + 999) : '1000';
  for (const row of rows) t.deepEqual([row[2], row[3], row[4]], ['user', expectedHostUid, 'user']);
  const aix = await env.skiff(['top', name, '%p', '%a']);
  t.deepEqual(aix.lines[0].trim().split(/\s+/), ['PID', 'COMMAND']);
  t.regex(aix.lines[1], /^1 +sh -c sleep 1000 & wait$/);
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('top with ps(1) options: the host\'s ps, limited to the container\'s processes', async (t) => {
  const name = uniqueName('topps');
  await runDetached(name, ['sh', '-c', 'sleep 1000 & wait']);
  await sleep(300);
  const hostInit = await inspect(name, '{{.State.Pid}}');
  const r = await env.skiff(['top', name, '-ef']);
  t.regex(r.lines[0], /^UID +PID +PPID/);
  t.is(r.lines.length, 3, r.stdout);
  t.true(r.lines.some((l) => l.split(/\s+/)[1] === hostInit), r.stdout);
  t.true(r.lines.slice(1).every((l) => /sh -c sleep 1000 & wait$|sleep 1000$/.test(l)), r.stdout);
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('top: a container that is not running, or unknown, is 125', async (t) => {
  const name = uniqueName('topc');
  await env.skiff(['create', '--network', 'none', '--name', name, IMG, 'true']);
  t.is((await env.skiff(['top', name], { exit: 125 })).stderr.trim(), 'Error: top can only be used on running containers');
  t.is((await env.skiff(['top', 'no-such-ctr'], { exit: 125 })).stderr.trim(), 'Error: no container with name or ID "no-such-ctr" found: no such container');
  await env.skiff(['top'], { exit: 125 });
  await env.skiff(['rm', name]);
});
