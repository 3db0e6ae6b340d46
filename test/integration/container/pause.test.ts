// pause / unpause as podman's, on a host where rootless containers have no
// freezer (cgroup v1 or hybrid, or v2 without a cgroup per container):
// every process of the container is stopped with SIGSTOP, forks during the
// sweep included, and everything else (ps, inspect, stop, kill, rm -f,
// exec, start, a dead monitor) copes with a paused container.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { sleep, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done';
const NOTE = /cgroup v[12]: .*pausing with SIGSTOP/;

async function run(name: string, script: string): Promise<number> {
  await env.skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', script]);
  return Number((await env.skiff(['inspect', '--format', '{{.State.Pid}}', name])).stdout);
}

async function inspect(name: string, field: string): Promise<string> {
  return (await env.skiff(['inspect', '--format', `{{${field}}}`, name])).stdout;
}

/** The last number the counter wrote to its log. */
async function lastCount(name: string): Promise<number> {
  return Number((await env.skiff(['logs', name])).lines.at(-1));
}

async function waitForCount(name: string, atLeast: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await lastCount(name)) < atLeast) {
    if (Date.now() > deadline) throw new Error(`${name} did not count to ${atLeast}`);
    await sleep(100);
  }
}

/** pid → state letter of `init` and every process descending from it (read from /proc as the test user). */
async function processTree(init: number): Promise<Map<number, string>> {
  const parents = new Map<number, { ppid: number; state: string }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), { state: f[0]!, ppid: Number(f[1]) });
    } catch {
      // exited meanwhile
    }
  }
  const tree = new Map<number, string>();
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parents.get(p)?.ppid ?? 0, hops++) if (p === init) return true;
    return false;
  };
  // A zombie has ended: an init orphaned by a killed monitor is left to pid 1, which on some hosts never reaps.
  for (const [pid, { state }] of parents) if (inTree(pid) && state !== 'Z') tree.set(pid, state);
  return tree;
}

test.serial('pause stops a counting container, unpause resumes it; ps and inspect show paused', async (t) => {
  const name = uniqueName('count');
  const init = await run(name, COUNTER);
  await waitForCount(name, 3);

  const paused = await env.skiff(['pause', name]);
  t.is(paused.stdout, name, 'prints the container as given');
  t.regex(paused.stderr, NOTE, 'says once why SIGSTOP is used');
  t.is(paused.stderr.trim().split('\n').length, 1);

  t.is(await inspect(name, '.State.Status'), 'paused');
  t.is(await inspect(name, '.State.Paused'), 'true');
  t.is(await inspect(name, '.State.Running'), 'false');
  t.is(Number(await inspect(name, '.State.Pid')), init);
  const row = (await env.skiff(['ps', '-a', '--format', '{{.Names}}|{{.Status}}|{{.State}}'])).lines.find((l) => l.startsWith(`${name}|`));
  t.is(row, `${name}|Paused|paused`);
  t.deepEqual((await env.skiff(['ps', '--filter', 'status=paused', '--format', '{{.Names}}'])).lines, [name]);
  t.false((await env.skiff(['ps', '--format', '{{.Names}}'])).lines.includes(name), 'ps without -a lists running containers only, as podman');

  const tree = await processTree(init);
  t.true(tree.size >= 1);
  for (const [pid, state] of tree) t.true(state === 'T' || state === 'Z', `process ${pid} is in state ${state}`);
  const frozenAt = await lastCount(name);
  await sleep(700);
  t.is(await lastCount(name), frozenAt, 'no counting while paused');

  const resumed = await env.skiff(['unpause', name]);
  t.is(resumed.stdout, name);
  t.is(resumed.stderr, '');
  await waitForCount(name, frozenAt + 3);
  t.is(await inspect(name, '.State.Status'), 'running');
  t.is(await inspect(name, '.State.Paused'), 'false');

  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('a process forked while pause sweeps the container is stopped too', async (t) => {
  const name = uniqueName('forks');
  // Forks as fast as it can; each child lives long enough to be caught running.
  const init = await run(name, 'while :; do sleep 0.3 & done');
  await sleep(500);
  for (let round = 0; round < 5; round++) {
    await env.skiff(['pause', name]);
    const before = await processTree(init);
    const running = [...before].filter(([, state]) => state !== 'T' && state !== 'Z');
    t.deepEqual(running, [], `round ${round}: processes still running after pause`);
    await sleep(300);
    const after = await processTree(init);
    t.deepEqual([...after.keys()].filter((pid) => !before.has(pid)), [], `round ${round}: no process forked while paused`);
    await env.skiff(['unpause', name]);
    await sleep(100);
  }
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('stop of a paused container delivers its stop signal (SIGCONT follows it)', async (t) => {
  const name = uniqueName('stop');
  await run(name, 'trap "exit 3" TERM; while :; do sleep 0.1; done');
  await env.skiff(['pause', name]);
  const started = Date.now();
  t.is((await env.skiff(['stop', '-t', '20', name])).stdout, name);
  t.true(Date.now() - started < 10_000, 'the trap ran: no wait for the 20 s timeout');
  t.is(await inspect(name, '.State.Status'), 'exited');
  t.is(await inspect(name, '.State.ExitCode'), '3');
  t.is(await inspect(name, '.State.Paused'), 'false');
  await env.skiff(['rm', name]);
});

test.serial('kill of a paused container: a signal waits for unpause, SIGKILL ends it now; rm -f removes one', async (t) => {
  const name = uniqueName('kill');
  await run(name, 'trap "exit 4" TERM; while :; do sleep 0.1; done');
  await env.skiff(['pause', name]);
  t.is((await env.skiff(['kill', '-s', 'TERM', name])).stdout, name);
  await sleep(500);
  t.is(await inspect(name, '.State.Status'), 'paused', 'a stopped process leaves SIGTERM pending, as the freezer does');
  await env.skiff(['unpause', name]);
  t.is((await env.skiff(['wait', name])).stdout, '4');

  const killed = uniqueName('kill9');
  await run(killed, COUNTER);
  await env.skiff(['pause', killed]);
  await env.skiff(['kill', killed]);
  t.is((await env.skiff(['wait', killed])).stdout, '137');
  t.is(await inspect(killed, '.State.Status'), 'exited');

  const removed = uniqueName('rmf');
  const init = await run(removed, COUNTER);
  await env.skiff(['pause', removed]);
  await env.skiff(['rm', removed], { exit: 2 });
  t.is((await env.skiff(['rm', '-f', '-t', '0', removed])).stdout, removed);
  t.false((await env.skiff(['ps', '-a', '--format', '{{.Names}}'])).lines.includes(removed));
  t.is((await processTree(init)).size, 0, 'its processes are gone');
  await env.skiff(['rm', name, killed]);
});

test.serial('errors: podman messages and exit 125', async (t) => {
  const name = uniqueName('err');
  await run(name, COUNTER);
  const created = uniqueName('created');
  const id = (await env.skiff(['create', '--name', created, BUSYBOX_IMAGE, 'true'])).stdout;

  t.is((await env.skiff(['pause', created], { exit: 125 })).stderr, 'Error: "created" is not running, can\'t pause: container state improper');
  t.is((await env.skiff(['unpause', created], { exit: 125 })).stderr, `Error: "${id}" is not paused, can't unpause: container state improper`);
  t.regex((await env.skiff(['unpause', name], { exit: 125 })).stderr, /^Error: "[0-9a-f]{64}" is not paused, can't unpause: container state improper$/);
  t.is((await env.skiff(['pause', 'nosuch'], { exit: 125 })).stderr, 'Error: no container with name or ID "nosuch" found: no such container');
  // As podman, every name is looked up first: an unknown one pauses nothing.
  await env.skiff(['pause', name, 'nosuch'], { exit: 125 });
  t.is(await inspect(name, '.State.Status'), 'running');

  await env.skiff(['pause', name]);
  t.regex((await env.skiff(['pause', name], { exit: 125 })).stderr, /^Error: "[0-9a-f]{64}" is already paused: container state improper$/);
  t.is((await env.skiff(['exec', name, 'true'], { exit: 125 })).stderr, 'Error: can only create exec sessions on running containers: container state improper');
  t.regex((await env.skiff(['start', name], { exit: 125 })).stderr, /^Error: cannot start paused container [0-9a-f]{64}: container state improper$/);
  t.regex((await env.skiff(['attach', name], { exit: 125 })).stderr, /you can only attach to running containers/);
  t.regex((await env.skiff(['top', name], { exit: 125 })).stderr, /top can only be used on running containers/);

  for (const [args, message] of [
    [['pause'], 'you must provide at least one name or id'],
    [['pause', '-a', name], 'no arguments are needed with --all'],
    [['unpause', '-a', '-l'], '--all and --latest cannot be used together'],
    [['pause', '-l', name], '--latest and containers cannot be used together'],
    [['pause', '--filter', 'name=x', name], '--filter takes no arguments'],
    [['pause', '-a', '--cidfile', '/nonexistent'], '--all, --latest, and --cidfile cannot be used together'],
    [['pause', '--cidfile', '/nonexistent'], 'reading CIDFile: open /nonexistent: no such file or directory'],
    [['pause', '--filter', 'bogus=1'], 'bogus is an invalid filter'],
  ] as const) {
    t.is((await env.skiff([...args], { exit: 125 })).stderr, `Error: ${message}`);
  }
  await env.skiff(['rm', '-f', '-t', '0', name, created]);
});

test.serial('pause -a, unpause -a, --filter, --latest and --cidfile pick their containers', async (t) => {
  const a = uniqueName('sela');
  const b = uniqueName('selb');
  const created = uniqueName('selc');
  await run(a, COUNTER);
  await run(b, COUNTER);
  const createdId = (await env.skiff(['create', '--name', created, BUSYBOX_IMAGE, 'true'])).stdout;
  const ids = async (...names: string[]) => Promise.all(names.map((n) => inspect(n, '.Id')));

  // -a pauses the running ones, skipping the created one silently; prints full ids, newest first.
  const all = await env.skiff(['pause', '-a']);
  t.deepEqual(all.lines, await ids(b, a));
  t.false(all.lines.includes(createdId));
  t.regex(all.stderr, NOTE);
  t.is(all.stderr.trim().split('\n').length, 1, 'the note is printed once for all containers');
  t.is((await env.skiff(['pause', '-a'])).stdout, '', 'nothing left to pause');

  t.deepEqual((await env.skiff(['unpause', '--filter', `name=^${a}$`])).lines, await ids(a));
  t.is(await inspect(b, '.State.Status'), 'paused');
  t.deepEqual((await env.skiff(['unpause', '-a'])).lines, await ids(b));

  // --latest is the newest container whatever its state: here the created one.
  t.regex((await env.skiff(['pause', '-l'], { exit: 125 })).stderr, /"created" is not running/);

  const cidfile = join(env.dir, 'cid');
  await writeFile(cidfile, `${(await ids(a))[0]}\n`);
  t.deepEqual((await env.skiff(['container', 'pause', '--cidfile', cidfile])).lines, await ids(a));
  t.is(await inspect(a, '.State.Status'), 'paused');
  t.deepEqual((await env.skiff(['container', 'unpause', '--cidfile', cidfile])).lines, await ids(a));

  await env.skiff(['rm', '-f', '-t', '0', a, b, created]);
});

test.serial('a paused container whose monitor is killed stays paused, and stop cleans it up', async (t) => {
  const name = uniqueName('lost');
  const init = await run(name, COUNTER);
  await env.skiff(['pause', name]);
  process.kill(Number(await inspect(name, '.State.ConmonPid')), 'SIGKILL');
  await sleep(300);
  t.is(await inspect(name, '.State.Status'), 'paused', 'its processes are still there, stopped');
  await env.skiff(['unpause', name]);
  await env.skiff(['pause', name]);
  await env.skiff(['stop', '-t', '1', name]);
  t.is(await inspect(name, '.State.Status'), 'exited');
  t.is((await processTree(init)).size, 0);
  await env.skiff(['rm', name]);
});

test.serial('a paused container whose monitor and processes are killed shows as exited and can be removed', async (t) => {
  const name = uniqueName('gone');
  const init = await run(name, COUNTER);
  await env.skiff(['pause', name]);
  process.kill(Number(await inspect(name, '.State.ConmonPid')), 'SIGKILL');
  process.kill(init, 'SIGKILL');
  const deadline = Date.now() + 5000;
  while ((await processTree(init)).size > 0 && Date.now() < deadline) await sleep(50);
  t.is(await inspect(name, '.State.Status'), 'exited', 'nobody is left to be paused');
  t.regex((await env.skiff(['ps', '-a', '--format', '{{.Names}}|{{.Status}}'])).lines.find((l) => l.startsWith(`${name}|`)) ?? '', /\|Exited \(-1\)/);
  await env.skiff(['unpause', name], { exit: 125 });
  await env.skiff(['rm', name]);
  t.false((await env.skiff(['ps', '-a', '--format', '{{.Names}}'])).lines.includes(name));
});

test.serial('a paused container that is killed from outside is recorded as exited', async (t) => {
  const name = uniqueName('shot');
  const init = await run(name, COUNTER);
  await env.skiff(['pause', name]);
  process.kill(init, 'SIGKILL');
  t.is((await env.skiff(['wait', name])).stdout, '137');
  t.is(await inspect(name, '.State.Status'), 'exited');
  const state = JSON.parse(await readFile(join(env.root, 'containers', await inspect(name, '.Id'), 'state.json'), 'utf8')) as Record<string, unknown>;
  t.is(state.pause, undefined, 'no pause record left behind');
  await env.skiff(['start', name]);
  await env.skiff(['pause', name]);
  await env.skiff(['rm', '-f', '-t', '0', name]);
});
