// start, stop, kill, rm and wait as podman's system tests drive them:
// --all / --filter / --latest / --cidfile / --ignore, what each prints
// (the ids with --all, the input as typed otherwise), podman's messages for
// flags that do not go together, stop's SIGKILL warning, kill's signal
// parsing, rm --force of a missing container, wait's conditions.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { poll, uniqueName } from '../../helpers/skiff.js';

const IMG = BUSYBOX_IMAGE;
const env = useBusyboxEnv();

/** Stops at once on SIGTERM (pid 1 ignores signals it does not trap). */
const QUICK_STOP = ['sh', '-c', 'trap "exit 0" TERM; sleep 1000 & wait'];

async function run(name: string, cmd: string[] = QUICK_STOP): Promise<string> {
  return (await env.skiff(['run', '-d', '--network', 'none', '--name', name, IMG, ...cmd])).stdout.trim();
}

async function create(name: string, cmd: string[] = QUICK_STOP): Promise<string> {
  return (await env.skiff(['create', '--network', 'none', '--name', name, IMG, ...cmd])).stdout.trim();
}

async function state(name: string): Promise<string> {
  return (await env.skiff(['inspect', '--format', '{{.State.Status}}', name])).stdout;
}

test.afterEach.always(async () => {
  await env.skiff(['rm', '-t', '0', '-a', '-f']);
});

test.serial('stop --all stops every running container and prints the ids; a name is printed as typed', async (t) => {
  const a = uniqueName('sa');
  const idA = await run(a);
  const idB = await run(uniqueName('sb'));
  const r = await env.skiff(['stop', '--all', '-t', '5'], { timeout: 30_000 });
  t.deepEqual([...r.lines].sort(), [idA, idB].sort());
  t.is(await state(a), 'exited');
  await env.skiff(['start', a]);
  t.is((await env.skiff(['stop', '--timeout', '5', a])).stdout, a);
});

test.serial('stop --ignore: a missing container is no error and prints nothing; without it, exit 125', async (t) => {
  const missing = uniqueName('gone');
  const r = await env.skiff(['stop', missing], { exit: 125 });
  t.is(r.stderr.trim(), `Error: no container with name or ID "${missing}" found: no such container`);
  const ignored = await env.skiff(['stop', '--ignore', missing]);
  t.is(ignored.stdout + ignored.stderr, '');
});

test.serial('stop --filter and --cidfile pick the containers; --latest the newest', async (t) => {
  const labelled = uniqueName('lab');
  const id = (await env.skiff(['run', '-d', '--network', 'none', '--label', 'grp=x', '--name', labelled, IMG, ...QUICK_STOP])).stdout.trim();
  const other = uniqueName('oth');
  const otherId = await run(other);
  t.is((await env.skiff(['stop', '--filter', 'label=grp=x'])).stdout, id);
  t.is(await state(other), 'running');
  const cidfile = join(env.dir, 'cid');
  writeFileSync(cidfile, otherId + '\n');
  t.is((await env.skiff(['stop', '--cidfile', cidfile])).stdout, otherId);
  t.is(await state(other), 'exited');
  await env.skiff(['start', labelled]);
  const newest = await run(uniqueName('new'));
  t.is((await env.skiff(['stop', '-l'])).stdout, newest);
  t.is(await state(labelled), 'running');
});

test.serial("stop, kill, rm: podman's messages for flags that do not go together, exit 125", async (t) => {
  const cases: Array<[string[], string]> = [
    [['stop'], 'you must provide at least one name or id'],
    [['stop', '-a', 'x'], 'no arguments are needed with --all'],
    [['stop', '-a', '-l'], '--all and --latest cannot be used together'],
    [['stop', '-l', 'x'], '--latest and containers cannot be used together'],
    [['stop', '--filter', 'status=exited', 'x'], '--filter takes no arguments'],
    [['stop', '--cidfile', '/nonexistent', '-a'], '--all, --latest, and --cidfile cannot be used together'],
    [['stop', '--cidfile', '/nonexistent'], 'reading CIDFile: open /nonexistent: no such file or directory'],
    [['stop', '-t', '1.5', 'x'], 'invalid argument "1.5" for "-t, --time" flag: not a whole number of seconds'],
    [['kill'], 'you must provide at least one name or id'],
    [['kill', '-a', 'x'], 'no arguments are needed with --all'],
    [['kill', '--cidfile', '/nonexistent', 'x'], 'no arguments are needed with --latest or --cidfile'],
    [['rm'], 'you must provide at least one name or id'],
    [['rm', '--filter', 'status=exited', 'x'], '--filter takes no arguments'],
  ];
  for (const [args, message] of cases) {
    const r = await env.skiff(args, { exit: 125 });
    t.is(r.stderr.trim(), `Error: ${message}`, args.join(' '));
    t.is(r.stdout, '', args.join(' '));
  }
});

test.serial('stop -t 1 of a container that ignores SIGTERM warns that it resorts to SIGKILL', async (t) => {
  const name = uniqueName('stubborn');
  await run(name, ['sh', '-c', 'trap "" TERM; echo READY; while :; do sleep 0.2; done']);
  await env.skiff(['logs', name]); // the trap is set before READY
  const r = await env.skiff(['stop', '-t', '1', name], { timeout: 20_000 });
  t.is(r.stdout, name);
  t.regex(r.stderr, new RegExp(`^WARN\\[\\d+\\] StopSignal SIGTERM failed to stop container ${name} in 1 seconds, resorting to SIGKILL$`, 'm'));
  t.is((await env.skiff(['inspect', '--format', '{{.State.ExitCode}}', name])).stdout, '137');
  // A container that stops in time gives no warning.
  await env.skiff(['rm', name]);
  const quick = uniqueName('quick');
  await run(quick);
  t.is((await env.skiff(['stop', '-t', '5', quick])).stderr, '');
});

test.serial('rm -f stops as stop does: the stop signal, then SIGKILL after the container\'s stop timeout (podman\'s default, not at once)', async (t) => {
  const stubborn = uniqueName('stubborn');
  await env.skiff(['run', '-d', '--network', 'none', '--stop-timeout', '1', '--name', stubborn, IMG, 'sh', '-c', 'trap "" TERM; echo READY; while :; do sleep 0.2; done']);
  await poll(async () => (await env.skiff(['logs', stubborn])).stdout.includes('READY') || undefined);
  const r = await env.skiff(['rm', '-f', stubborn], { timeout: 20_000 });
  t.is(r.stdout, stubborn);
  t.regex(r.stderr, new RegExp(`^WARN\\[\\d+\\] StopSignal SIGTERM failed to stop container ${stubborn} in 1 seconds, resorting to SIGKILL$`, 'm'));
  // One that ends on SIGTERM goes without a warning; -t 0 kills at once.
  const quick = uniqueName('quick');
  await run(quick);
  t.is((await env.skiff(['rm', '-f', quick])).stderr, '');
  const killed = uniqueName('killed');
  await env.skiff(['run', '-d', '--network', 'none', '--name', killed, IMG, 'sh', '-c', 'trap "" TERM; while :; do sleep 0.2; done']);
  t.is((await env.skiff(['rm', '-f', '-t', '0', killed])).stderr, '');
});

test.serial('while stop waits for the timeout, inspect says stopping and other commands go on; kill ends it with 137', async (t) => {
  const name = uniqueName('stopping');
  await run(name, ['sh', '-c', 'trap "echo got TERM" TERM; echo READY; while :; do sleep 0.2; done']);
  await poll(async () => (await env.skiff(['logs', name])).stdout.includes('READY'));
  const stopping = env.skiff(['stop', '-t', '20', name], { timeout: 40_000 });
  t.true(await poll(async () => (await env.skiff(['logs', name])).stdout.includes('got TERM')));
  const began = Date.now();
  await env.skiff(['ps', '-a']);
  t.is(await state(name), 'stopping');
  t.true(Date.now() - began < 5_000, 'ps and inspect did not wait for the stop');
  await env.skiff(['kill', name]);
  t.is((await env.skiff(['wait', name])).stdout, '137');
  t.is((await stopping).stdout, name);
  t.is(await state(name), 'exited');
});

test.serial('kill --all signals the running containers only and prints their ids; a name is printed as typed', async (t) => {
  const up = uniqueName('up');
  const upId = await run(up, ['sleep', '1000']);
  await create(uniqueName('idle'));
  const r = await env.skiff(['kill', '-a']);
  t.is(r.stdout, upId);
  t.is(r.stderr, '');
  t.is(await state(up), 'exited');
  await env.skiff(['start', up]);
  t.is((await env.skiff(['kill', up])).stdout, up);
});

test.serial("kill -s: a leading dash is allowed; podman's messages for bad signals", async (t) => {
  const name = uniqueName('sig');
  await run(name, ['sh', '-c', 'trap "exit 5" HUP; sleep 1000 & wait']);
  await env.skiff(['kill', '-s', '-HUP', name]);
  t.is((await env.skiff(['wait', name])).stdout, '5');
  const cases: Array<[string, string]> = [
    ['0', 'invalid signal: 0'],
    ['-0', 'invalid signal: 0'],
    ['SIGBADSIG', 'invalid signal: SIGBADSIG'],
    ['-BADSIG', 'invalid signal: BADSIG'],
    ['65', 'valid signals are 1 through 64'],
    ['-65', 'valid signals are 1 through 64'],
    ['99999999', 'valid signals are 1 through 64'],
  ];
  for (const [signal, message] of cases) {
    const r = await env.skiff(['kill', '-s', signal, 'nosuchcontainer'], { exit: 125 });
    t.is(r.stderr.trim(), `Error: ${message}`, signal);
  }
});

test.serial('start --all starts the containers that are not running and prints their ids', async (t) => {
  const idle = await create(uniqueName('idle'));
  const up = uniqueName('up');
  const upId = await run(up);
  const r = await env.skiff(['start', '--all']);
  t.is(r.stdout, idle);
  t.false(r.stdout.includes(upId));
  t.is(await state(idle), 'running');
  const bad = await env.skiff(['start', '--all', up], { exit: 125 });
  t.is(bad.stderr.trim(), 'Error: either start all containers or the container(s) provided in the arguments');
  t.is((await env.skiff(['start'], { exit: 125 })).stderr.trim(), 'Error: start requires at least one argument');
});

test.serial('start --filter: with names, only those that match; restart-policy= and exited= as podman', async (t) => {
  const zero = uniqueName('zero');
  const zeroId = await run(zero, ['true']);
  const oneId = await run(uniqueName('one'), ['false']);
  await env.skiff(['wait', zeroId, oneId]);
  t.is((await env.skiff(['start', '--filter', 'restart-policy=always', zeroId])).stdout, '');
  t.is((await env.skiff(['start', '--filter', 'restart-policy=none', zeroId])).stdout, zeroId);
  await env.skiff(['wait', zeroId]);
  const bad = await env.skiff(['start', '--filter', 'restart-policy=fakepolicy', zeroId], { exit: 125 });
  t.is(bad.stderr.trim(), 'Error: fakepolicy invalid restart policy');
  t.is((await env.skiff(['start', '--all', '--filter', 'exited=0'])).stdout, zeroId);
});

test.serial('rm --force of a missing container: exit 0, nothing printed; without --force exit 1', async (t) => {
  const r = await env.skiff(['container', 'rm', 'bogus'], { exit: 1 });
  t.is(r.stderr.trim(), 'Error: no container with name or ID "bogus" found: no such container');
  const forced = await env.skiff(['container', 'rm', '--force', '-t', '0', 'bogus']);
  t.is(forced.stdout + forced.stderr, '');
});

test.serial('rm --filter removes the matching containers and prints their ids', async (t) => {
  const doneId = await run(uniqueName('done'), ['true']);
  await env.skiff(['wait', doneId]);
  const up = uniqueName('up');
  await run(up);
  t.is((await env.skiff(['rm', '--filter', 'status=exited'])).stdout, doneId);
  t.is(await state(up), 'running');
});

test.serial('wait: a container that never ran is done at once with 0, as podman 4; --condition running; a bad condition is 125', async (t) => {
  const name = uniqueName('never');
  await create(name, ['/no/such/command']);
  t.is((await env.skiff(['wait', name], { timeout: 10_000 })).stdout, '0');
  // podman's start fails with 125 whatever the runtime's error (run alone passes 127 on).
  t.regex((await env.skiff(['start', name], { exit: 125 })).stderr, /^Error: /);
  t.regex((await env.skiff(['wait', name], { timeout: 10_000 })).stdout, /^-?\d+$/);
  const up = uniqueName('up');
  await create(up);
  const waiting = env.skiff(['wait', '--condition', 'running', '--interval', '50ms', up], { timeout: 20_000 });
  await env.skiff(['start', up]);
  t.is((await waiting).stdout, '-1');
  t.is((await env.skiff(['wait', '-l', '--condition', 'running'])).stdout, '-1');
  const bad = await env.skiff(['wait', '--condition', 'bogus', up], { exit: 125 });
  t.is(bad.stderr.trim(), 'Error: unknown container state: bogus: invalid argument');
});
