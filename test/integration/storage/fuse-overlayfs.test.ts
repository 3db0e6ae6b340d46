// overlay with fuse-overlayfs as its mount program: chosen by
// --storage-opt, storage.conf, or automatically where the kernel refuses
// overlay in the user namespace; started and ended by the container's
// monitor, and what a monitor killed with -9 left is gone once the next
// command ran.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { BUSYBOX_IMAGE, importBusybox } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { SKIFF_BIN, newTestEnv, poll, runSkiff } from '../../helpers/skiff.js';

const env = useBusyboxEnv();
const FUSE = ['--storage-opt', 'overlay.mount_program=/usr/bin/fuse-overlayfs'];
const fuse = (args: string[], opts?: { exit?: number }) => env.skiff([...FUSE, ...args], opts);

async function pausePid(runroot = env.runroot): Promise<number> {
  return (JSON.parse(await readFile(join(runroot, 'pause.pid'), 'utf8')) as { pid: number }).pid;
}

/** The filesystem types mounted on `path` in the pause namespace. */
async function mountTypes(path: string, runroot = env.runroot): Promise<string[]> {
  const info = await readFile(`/proc/${await pausePid(runroot)}/mountinfo`, 'utf8');
  return info.split('\n').filter((l) => l.split(' ')[4] === path).map((l) => l.split(' - ')[1]?.split(' ')[0] ?? '?');
}

/** Pids of fuse-overlayfs processes whose command line names `path`. */
async function fuseProcesses(path: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (cmdline.startsWith('fuse-overlayfs\0') || cmdline.includes('/fuse-overlayfs\0')) {
      if (cmdline.includes(path) && !/\) Z /.test(stat)) found.push(Number(entry));
    }
  }
  return found;
}

const merged = (id: string, root = env.root) => join(root, 'containers', id, 'rootfs', 'merged');

test.serial('--storage-opt overlay.mount_program: the monitor mounts the rootfs with fuse-overlayfs and ends it on exit', async (t) => {
  const id = (await fuse(['run', '-d', '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'echo copied-up >> /etc/passwd; echo new > /new; sleep 1000'])).stdout;
  t.deepEqual(await mountTypes(merged(id)), ['fuse.fuse-overlayfs']);
  t.is((await fuseProcesses(merged(id))).length, 1, 'one fuse-overlayfs for the container');
  t.is((await env.skiff(['inspect', '--format', '{{.Driver}}', id])).stdout, 'overlay');
  await poll(async () => (await fuse(['exec', id, 'cat', '/new'])).stdout === 'new' || undefined);
  await env.skiff(['stop', '-t', '0', id]);
  t.deepEqual(await mountTypes(merged(id)), [], 'unmounted when the container exited');
  t.deepEqual(await poll(async () => ((await fuseProcesses(merged(id))).length === 0 ? [] : undefined)), [], 'fuse-overlayfs ended');
  // The changes are in the upper dir, as with the kernel's overlay: diff reads them without a mount.
  const diff = (await env.skiff(['diff', id])).lines;
  t.true(diff.includes('C /etc/passwd') && diff.includes('A /new'), diff.join('\n'));
  // A start mounts it again, with the changes.
  await env.skiff(['start', id]);
  t.is((await env.skiff(['exec', id, 'tail', '-n', '1', '/etc/passwd'])).stdout, 'copied-up');
  await env.skiff(['rm', '-f', '-t', '0', id]);
  t.deepEqual(await fuseProcesses(merged(id)), []);
});

test.serial('a monitor killed with -9 leaves no fuse-overlayfs mount or process once the next command ran', async (t) => {
  const id = (await fuse(['run', '-d', '--network', 'none', BUSYBOX_IMAGE, 'sleep', '1000'])).stdout;
  t.deepEqual(await mountTypes(merged(id)), ['fuse.fuse-overlayfs']);
  const [monitor, pid] = (await env.skiff(['inspect', '--format', '{{.State.ConmonPid}} {{.State.Pid}}', id])).stdout.split(' ').map(Number);
  process.kill(monitor, 'SIGKILL');
  process.kill(pid, 'SIGKILL');
  await poll(async () => {
    try {
      process.kill(pid, 0);
      return undefined;
    } catch {
      return true;
    }
  });
  t.deepEqual(await mountTypes(merged(id)), ['fuse.fuse-overlayfs'], 'left behind by the killed monitor');
  // Not even the flag is needed: the container's storage records its mount program.
  await env.skiff(['start', id]);
  t.deepEqual(await mountTypes(merged(id)), ['fuse.fuse-overlayfs'], 'one mount again, not two stacked');
  t.is((await fuseProcesses(merged(id))).length, 1);
  const [monitor2, pid2] = (await env.skiff(['inspect', '--format', '{{.State.ConmonPid}} {{.State.Pid}}', id])).stdout.split(' ').map(Number);
  process.kill(monitor2, 'SIGKILL');
  process.kill(pid2, 'SIGKILL');
  await env.skiff(['rm', '-f', id]);
  t.deepEqual(await mountTypes(merged(id)), []);
  t.deepEqual(await poll(async () => ((await fuseProcesses(merged(id))).length === 0 ? [] : undefined)), []);
});

test.serial('info names the mount program as podman does, and why it is used', async (t) => {
  const info = JSON.parse((await fuse(['info', '--format', 'json'])).stdout) as { store: Record<string, any> };
  t.is(info.store.graphDriverName, 'overlay');
  t.like(info.store.graphOptions['overlay.mount_program'], { Executable: '/usr/bin/fuse-overlayfs' });
  t.regex(info.store.graphOptions['overlay.mount_program'].Version, /fuse-overlayfs: version/);
  t.like(info.store.graphStatus, { 'Native Overlay Diff': 'false', 'Supports d_type': 'true', 'Using metacopy': 'false' });
  t.regex(info.store.graphDriverReason, /overlay\.mount_program/);
  const plain = JSON.parse((await env.skiff(['info', '--format', 'json'])).stdout) as { store: Record<string, any> };
  t.deepEqual(plain.store.graphOptions, {});
  t.is(plain.store.graphStatus['Native Overlay Diff'], 'true');
});

test.serial('overlay.mountopt reaches the mount, with the kernel\'s overlay and with fuse-overlayfs', async (t) => {
  for (const flags of [[], FUSE]) {
    const id = (await env.skiff([...flags, '--storage-opt', 'overlay.mountopt=nodev', 'run', '-d', '--network', 'none', BUSYBOX_IMAGE, 'sleep', '1000'])).stdout;
    try {
      const info = await readFile(`/proc/${await pausePid()}/mountinfo`, 'utf8');
      const line = info.split('\n').find((l) => l.split(' ')[4] === merged(id)) ?? '';
      t.regex(line.split(' ')[5] ?? '', /(^|,)nodev(,|$)/, line);
    } finally {
      await env.skiff(['rm', '-f', '-t', '0', id]);
    }
  }
});

test.serial('storage.conf mount_program is used without a flag', async (t) => {
  const config = join(env.dir, 'config');
  await mkdir(join(config, 'containers'), { recursive: true });
  await writeFile(join(config, 'containers', 'storage.conf'), '[storage]\ndriver = "overlay"\n[storage.options.overlay]\nmount_program = "/usr/bin/fuse-overlayfs"\n');
  const id = (await env.skiff(['run', '-d', '--network', 'none', BUSYBOX_IMAGE, 'sleep', '1000'], { env: { XDG_CONFIG_HOME: config } })).stdout;
  t.deepEqual(await mountTypes(merged(id)), ['fuse.fuse-overlayfs']);
  await env.skiff(['rm', '-f', '-t', '0', id]);
});

// The kernel refuses overlay with its upper dir on an overlay mount: a
// graph root inside one is where native overlay is refused on this machine
// (a filesystem an unprivileged user can mount on the host, FUSE, is taken
// as overlay's upper by this kernel). The mount exists only in the pause
// namespace, so skiff runs there as its own re-executed commands do.
test.serial('where native overlay is refused in the user namespace, overlay is mounted with fuse-overlayfs automatically', async (t) => {
  const other = await newTestEnv();
  try {
    // Any command that reaches the engine starts the pause process of this run root.
    await runSkiff(['--root', join(other.dir, 'plain'), '--runroot', other.runroot], ['info']);
    const pause = await pausePid(other.runroot);
    const inNamespace = (argv: string[]) => execa('nsenter', [`--target=${pause}`, '--user', '--mount', '--preserve-credentials', ...argv], { reject: false });
    const base = join(other.dir, 'ovl');
    const mounted = await inNamespace(['sh', '-c', `mkdir -p ${base}/l ${base}/u ${base}/w ${base}/m && mount -t overlay overlay -o lowerdir=${base}/l,upperdir=${base}/u,workdir=${base}/w,userxattr ${base}/m`]);
    t.is(mounted.exitCode, 0, mounted.stderr);
    const root = join(base, 'm', 'root');
    const skiff = async (args: string[]) => {
      const r = await inNamespace(['env', `SKIFF_USERNS_PID=${pause}`, SKIFF_BIN, '--root', root, '--runroot', other.runroot, ...args]);
      t.log(`$ skiff ${args.join(' ')} [exit ${r.exitCode}]`);
      if (r.exitCode !== 0) throw new Error(`skiff ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
      return { ...r, stdout: String(r.stdout), stderr: String(r.stderr), command: args, exitCode: 0, lines: String(r.stdout).split('\n') };
    };
    await importBusybox({ skiff });
    const info = JSON.parse((await skiff(['info', '--format', 'json'])).stdout) as { store: Record<string, any> };
    t.is(info.store.graphDriverName, 'overlay');
    t.like(info.store.graphOptions['overlay.mount_program'], { Executable: '/usr/bin/fuse-overlayfs' });
    t.is(info.store.graphStatus['Backing Filesystem'], 'overlayfs');
    t.regex(info.store.graphDriverReason, /native overlay is refused in the user namespace \(.+\)/);
    t.log(info.store.graphDriverReason);
    const run = await skiff(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'echo hi > /x && cat /x && grep " / " /proc/mounts | cut -d" " -f3']);
    t.is(run.stdout, 'hi\nfuse.fuse-overlayfs');
  } finally {
    await other.cleanup();
  }
});

test.after.always(async () => {
  await rm(join(tmpdir(), 'never-used'), { force: true });
});
