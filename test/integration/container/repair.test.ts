// States left by a crash at a bad moment (a full disk, kill -9 of `rm`,
// kill -9 of a monitor) must be repairable by the ordinary commands.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { PROJECT_ROOT, SKIFF_BIN, sleep, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

const namesDir = () => join(env.root, 'containers', '.names');

async function create(name: string, cmd = ['sleep', '1000']): Promise<string> {
  return (await env.skiff(['create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, ...cmd])).stdout;
}

async function listed(): Promise<string[]> {
  return (await env.skiff(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}}'])).lines;
}

async function gone(path: string): Promise<boolean> {
  return readdir(path).then(() => false, (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
}

async function pausePid(): Promise<number> {
  return (JSON.parse(await readFile(join(env.runroot, 'pause.pid'), 'utf8')) as { pid: number }).pid;
}

/** Mounts on `path` as the pause namespace sees them. */
async function mountsAt(path: string): Promise<number> {
  const info = await readFile(`/proc/${await pausePid()}/mountinfo`, 'utf8');
  return info.split('\n').filter((line) => line.split(' ')[4] === path).length;
}

const mountCount = (id: string) => mountsAt(join(env.root, 'containers', id, 'rootfs', 'merged'));

async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function killAndWait(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && (await alive(pid)); i++) await sleep(50);
  if (await alive(pid)) throw new Error(`${pid} survived SIGKILL`);
}

// Disk full during `create --name` left the reservation empty; a crash
// between create's steps or of `rm` leaves one naming a missing container.
for (const [what, content] of [
  ['empty', ''],
  ['naming a container that does not exist', 'f'.repeat(64)],
  ['holding garbage', 'garbage\n'],
] as const) {
  test.serial(`a name reservation ${what} is reclaimed by create --name; rm of it says no such container`, async (t) => {
    const name = uniqueName('stale');
    await mkdir(namesDir(), { recursive: true });
    await writeFile(join(namesDir(), name), content);
    const rmStale = await env.skiff(['rm', name], { exit: 1 });
    t.regex(rmStale.stderr, /no such container/);
    const id = await create(name);
    t.deepEqual(await listed(), [`${id} ${name}`]);
    t.is((await readFile(join(namesDir(), name), 'utf8')).trim(), id);
    // Taken for real now: a second create is refused.
    const again = await env.skiff(['create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'true'], { exit: 125 });
    t.regex(again.stderr, /already in use/);
    t.is((await env.skiff(['rm', name])).stdout, name);
    t.deepEqual(await listed(), []);
    await t.throwsAsync(readFile(join(namesDir(), name)), { code: 'ENOENT' });
  });
}

test.serial('10 parallel creates reclaiming one stale name: exactly one wins', async (t) => {
  const name = uniqueName('reclaim');
  await mkdir(namesDir(), { recursive: true });
  await writeFile(join(namesDir(), name), '');
  const results = await Promise.all(Array.from({ length: 10 }, () =>
    execa(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'true'], { reject: false, stdin: 'ignore', cwd: PROJECT_ROOT, timeout: 90_000 })));
  const won = results.filter((r) => r.exitCode === 0);
  t.is(won.length, 1, results.map((r) => `${r.exitCode}: ${String(r.stderr)}`).join('\n'));
  for (const r of results.filter((x) => x.exitCode !== 0)) t.regex(String(r.stderr), /already in use/);
  t.deepEqual(await listed(), [`${String(won[0]?.stdout)} ${name}`]);
  t.is((await readFile(join(namesDir(), name), 'utf8')).trim(), String(won[0]?.stdout));
  await env.skiff(['rm', name]);
});

// kill -9 of `rm` of a large container: state.json is gone (removed first),
// the directory and the name are left.
for (const rmArgs of [['rm'], ['rm', '-f', '-t', '0'], ['rm', '-fa', '-t', '0']]) {
  test.serial(`an interrupted removal is finished by ${rmArgs.join(' ')}, and frees the name`, async (t) => {
    const name = uniqueName('halfrm');
    const id = await create(name);
    const dir = join(env.root, 'containers', id);
    await rm(join(dir, 'state.json'));
    t.deepEqual(await listed(), [], 'ps -a shows no half-removed container');
    const r = await env.skiff([...rmArgs, ...(rmArgs.includes('-fa') ? [] : [name])]);
    t.is(r.stdout, rmArgs.includes('-fa') ? id : name);
    t.true(await gone(dir), `${dir} is removed`);
    await t.throwsAsync(readFile(join(namesDir(), name)), { code: 'ENOENT' });
    const id2 = await create(name, ['true']);
    t.deepEqual(await listed(), [`${id2} ${name}`]);
    await env.skiff(['rm', name]);
  });
}

for (const network of ['none', 'slirp4netns']) {
  test.serial(`monitor and container killed with -9, then start: one mount, and rm works (--network ${network})`, async (t) => {
    const name = uniqueName('restart');
    const id = (await env.skiff(['run', '-d', '--network', network, '--name', name, BUSYBOX_IMAGE, 'sleep', '1000'])).stdout;
    const overlay = (await mountCount(id)) > 0;
    const [monitorPid, pid] = (await env.skiff(['inspect', '--format', '{{.State.ConmonPid}} {{.State.Pid}}', name])).stdout.split(' ').map(Number) as [number, number];
    await killAndWait(monitorPid);
    await killAndWait(pid);

    await env.skiff(['start', name]);
    t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', name])).stdout, 'running');
    const [newMonitor, newPid] = (await env.skiff(['inspect', '--format', '{{.State.ConmonPid}} {{.State.Pid}}', name])).stdout.split(' ').map(Number) as [number, number];
    t.true(newMonitor !== monitorPid && (await alive(newMonitor)));
    t.true(newPid !== pid && (await alive(newPid)));
    if (overlay) t.is(await mountCount(id), 1, 'the overlay is mounted once, not on top of the stale mount');
    const netns = join(env.runroot, 'netns', id.slice(0, 12));
    if (network === 'slirp4netns') t.is(await mountsAt(netns), 1, 'one network namespace is bound');

    await env.skiff(['rm', '-f', '-t', '0', name], { timeout: 30_000 });
    t.deepEqual(await listed(), []);
    t.true(await gone(join(env.root, 'containers', id)));
    if (overlay) t.is(await mountCount(id), 0);
    t.is(await mountsAt(netns), 0);
  });
}
