// Concurrent start, stop and rm of ONE container: the container's lock lets
// exactly one monitor run it, and a loser never unmounts the winner's root
// file system, overwrites its state, or deletes it.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { PROJECT_ROOT, SKIFF_BIN, uniqueName } from '../../helpers/skiff.js';
import { withLock } from '../../../src/util/lock.js';

const env = useBusyboxEnv();

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Like env.skiff but never throws on the exit code. */
async function anyExit(args: string[]): Promise<Outcome> {
  const r = await execa(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, ...args], {
    reject: false,
    timeout: 90_000,
    stdin: 'ignore',
    cwd: PROJECT_ROOT,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const show = (rs: Outcome[]) => rs.map((r) => `exit ${r.code}: ${r.stdout} ${r.stderr}`).join('\n');

async function pausePid(): Promise<number> {
  return (JSON.parse(await readFile(join(env.runroot, 'pause.pid'), 'utf8')) as { pid: number }).pid;
}

/** Live monitors of this test file's store: they run in its pause namespace. */
async function monitors(): Promise<number[]> {
  const pause = String(await pausePid());
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (!/monitor(\.cjs|\/main\.js)\0/.test(cmdline)) continue;
      const environ = (await readFile(`/proc/${entry}/environ`, 'utf8')).split('\0');
      if (environ.includes(`SKIFF_USERNS_PID=${pause}`)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Processes whose command line is exactly `argv` (the container's own process). */
async function processesRunning(argv: string[]): Promise<number[]> {
  const wanted = argv.join('\0') + '\0';
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline === wanted) found.push(Number(entry));
  }
  return found;
}

/** How many times the container's overlay is mounted, as the pause namespace sees it. */
async function mountCount(id: string): Promise<number> {
  const merged = join(env.root, 'containers', id, 'rootfs', 'merged');
  const info = await readFile(`/proc/${await pausePid()}/mountinfo`, 'utf8');
  return info.split('\n').filter((line) => line.split(' ')[4] === merged).length;
}

async function overlay(): Promise<boolean> {
  const probe = await readFile(join(env.runroot, 'storage-driver.json'), 'utf8').catch(() => '{}');
  return (JSON.parse(probe) as { driver?: string }).driver === 'overlay';
}

async function inspect(name: string, format: string): Promise<string> {
  return (await env.skiff(['inspect', '--format', format, name])).stdout;
}

/** Waits until no monitor of this store is left but `keep` (they exit after recording). */
async function noMonitorsLeft(ms = 10_000, keep: number[] = []): Promise<number[]> {
  const deadline = Date.now() + ms;
  const others = async () => (await monitors()).filter((pid) => !keep.includes(pid));
  let left = await others();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await others();
  }
  return left;
}

test.serial('5 parallel starts of one created container: one monitor, one container, state consistent', async (t) => {
  const name = uniqueName('pstart');
  const cmd = ['sleep', '7001'];
  const id = (await env.skiff(['create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, ...cmd])).stdout;
  const results = await Promise.all(Array.from({ length: 5 }, () => anyExit(['start', name])));
  t.deepEqual(results.map((r) => r.code), [0, 0, 0, 0, 0], show(results));
  t.is(await inspect(name, '{{.State.Status}}'), 'running');
  const [monitorPid, pid] = (await inspect(name, '{{.State.ConmonPid}} {{.State.Pid}}')).split(' ').map(Number);
  // Each start forked a monitor as it began (prefork); the four not needed exit on their own.
  t.true((await monitors()).includes(monitorPid));
  t.deepEqual(await noMonitorsLeft(10_000, [monitorPid]), [], 'exactly the monitor named in the state stays');
  t.deepEqual(await processesRunning(cmd), [pid], 'exactly one container process, the one in the state');
  if (await overlay()) t.is(await mountCount(id), 1, 'the root file system is mounted once');
  await env.skiff(['rm', '-f', '-t', '0', name]);
  t.deepEqual(await noMonitorsLeft(), []);
  t.deepEqual(await processesRunning(cmd), []);
});

for (const autoRemove of [false, true]) {
  const label = autoRemove ? ' (--rm)' : '';

  test.serial(`parallel rm -f and start of one container leave nothing behind${label}`, async (t) => {
    const name = uniqueName('rmstart');
    const cmd = ['sleep', autoRemove ? '7002' : '7003'];
    const id = (await env.skiff(['create', ...(autoRemove ? ['--rm'] : []), '--network', 'none', '--name', name, BUSYBOX_IMAGE, ...cmd])).stdout;
    const [rm, ...starts] = await Promise.all([anyExit(['rm', '-f', '-t', '0', name]), anyExit(['start', name]), anyExit(['start', name])]);
    t.is(rm!.code, 0, show([rm!]));
    for (const start of starts) {
      // A start that comes after the removal finds no container; one before it ran and was killed.
      if (start.code !== 0) t.regex(start.stderr, /no such container/, show(starts));
    }
    t.deepEqual((await env.skiff(['ps', '-aq'])).lines, []);
    t.deepEqual(await noMonitorsLeft(), []);
    t.deepEqual(await processesRunning(cmd), []);
    if (await overlay()) t.is(await mountCount(id), 0);
    await t.throwsAsync(readdir(join(env.root, 'containers', id)), { code: 'ENOENT' });
    t.deepEqual((await anyExit(['create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'true'])).code, 0, 'the name is free again');
    await env.skiff(['rm', name]);
  });

  test.serial(`5 parallel stops of one running container all succeed${label}`, async (t) => {
    const name = uniqueName('pstop');
    const cmd = ['sleep', autoRemove ? '7004' : '7005'];
    await env.skiff(['run', '-d', ...(autoRemove ? ['--rm'] : []), '--network', 'none', '--name', name, BUSYBOX_IMAGE, ...cmd]);
    const results = await Promise.all(Array.from({ length: 5 }, () => anyExit(['stop', '-t', '1', name])));
    t.deepEqual(results.map((r) => r.code), [0, 0, 0, 0, 0], show(results));
    for (const r of results) t.is(r.stdout, name);
    t.deepEqual(await processesRunning(cmd), []);
    t.deepEqual(await noMonitorsLeft(), []);
    const ps = await env.skiff(['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
    if (autoRemove) t.deepEqual(ps.lines, [], 'a --rm container is gone once stopped');
    else {
      t.regex(ps.stdout, new RegExp(`^${name} Exited \\(`));
      await env.skiff(['rm', name]);
    }
  });
}

test.serial('run --rm -d, then stop -t 1: success, prints the name (as podman)', async (t) => {
  const name = uniqueName('rmstop');
  await env.skiff(['run', '--rm', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sleep', '1000']);
  const r = await env.skiff(['stop', '-t', '1', name]);
  t.is(r.stdout, name);
  t.deepEqual((await env.skiff(['ps', '-aq'])).lines, []);
});

test.serial('run --rm -d, then rm -f: success, prints the name (as podman)', async (t) => {
  const name = uniqueName('rmrmf');
  await env.skiff(['run', '--rm', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sleep', '1000']);
  const r = await env.skiff(['rm', '-f', '-t', '0', name]);
  t.is(r.stdout, name);
  t.deepEqual((await env.skiff(['ps', '-aq'])).lines, []);
  t.deepEqual(await noMonitorsLeft(), []);
});

test.serial('the container lock taken on the host holds off rm inside the user namespace', async (t) => {
  const name = uniqueName('xns');
  const id = (await env.skiff(['create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'true'])).stdout;
  let rm: Promise<Outcome> | undefined;
  await withLock(join(env.root, 'containers', id, 'lock'), async () => {
    rm = anyExit(['rm', name]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    t.deepEqual((await env.skiff(['ps', '-a', '--format', '{{.Names}}'])).lines, [name], 'rm waits for the lock');
  });
  const r = await rm!;
  t.is(r.code, 0, show([r]));
  t.deepEqual((await env.skiff(['ps', '-aq'])).lines, []);
});

test.serial('start of a running container, and of one that does not exist, leaves no spare monitor behind', async (t) => {
  const name = uniqueName('spare');
  await env.skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sleep', '7002']);
  const monitorPid = Number(await inspect(name, '{{.State.ConmonPid}}'));
  t.deepEqual(await noMonitorsLeft(10_000, [monitorPid]), []);
  t.is((await anyExit(['start', name])).code, 0);
  t.is((await anyExit(['start', 'no-such-container'])).code, 125);
  t.is((await anyExit(['start', name, 'no-such-container'])).code, 125);
  t.deepEqual(await noMonitorsLeft(10_000, [monitorPid]), [], 'the monitors forked for those starts are gone');
  t.deepEqual(await monitors(), [monitorPid]);
  await env.skiff(['rm', '-f', '-t', '0', name]);
  t.deepEqual(await noMonitorsLeft(), []);
});

test.serial('restart: the monitor forked while the container stops runs it; a failed restart leaves no spare monitor', async (t) => {
  const name = uniqueName('rst');
  await env.skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sleep', '7003']);
  const before = Number(await inspect(name, '{{.State.ConmonPid}}'));
  await env.skiff(['restart', '-t', '0', name]);
  t.is(await inspect(name, '{{.State.Status}}'), 'running');
  const after = Number(await inspect(name, '{{.State.ConmonPid}}'));
  t.not(after, before);
  t.deepEqual(await noMonitorsLeft(10_000, [after]), [], 'only the new monitor runs');
  t.is((await anyExit(['restart', 'no-such-container'])).code, 125);
  t.deepEqual(await noMonitorsLeft(10_000, [after]), [], 'the monitor forked for the failed restart is gone');
  await env.skiff(['rm', '-f', '-t', '0', name]);
  t.deepEqual(await noMonitorsLeft(), []);
});
