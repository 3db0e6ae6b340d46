// `volume export` / `volume import` (a tar of the volume's data; owners of
// other ids of the namespace survive the round trip; stdout must not be a
// terminal) and `volume mount` / `volume unmount` (rootless only inside
// `skiff unshare`, as podman; a tmpfs volume is mounted and counted).
import test from 'ava';
import { execa } from 'execa';
import pty from 'node-pty';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { PROJECT_ROOT, SKIFF_BIN } from '../../helpers/skiff.js';

const env = useBusyboxEnv();
let work = '';
test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skvol-'));
});
test.after.always(async () => {
  await rm(work, { recursive: true, force: true });
});

const inner = (args: string[], exit = 0) => env.skiff(['unshare', SKIFF_BIN, '--root', env.root, '--runroot', env.runroot, ...args], { exit });
const mountpoint = async (name: string) => (await env.skiff(['volume', 'inspect', '--format', '{{.Mountpoint}}', name])).stdout;
/** `stat` of a path as the namespace sees it: owner and mode. */
const owner = async (path: string) => (await env.skiff(['unshare', 'stat', '-c', '%u:%g %a', path])).stdout;

test.serial('export -o then import keeps the files, their modes and their owners of other ids', async (t) => {
  await env.skiff(['volume', 'create', 'src']);
  const src = await mountpoint('src');
  await env.skiff(['unshare', 'sh', '-c', `mkdir -m 750 ${src}/dir && echo hello > ${src}/dir/file && ln -s dir/file ${src}/link && chown -R 1000:2000 ${src}/dir && chmod 640 ${src}/dir/file`]);
  const archive = join(work, 'src.tar');
  await env.skiff(['volume', 'export', 'src', '-o', archive]);
  t.true((await stat(archive)).size > 0);
  await env.skiff(['volume', 'create', 'dst']);
  await env.skiff(['volume', 'import', 'dst', archive]);
  const dst = await mountpoint('dst');
  t.is(await owner(`${dst}/dir`), '1000:2000 750');
  t.is(await owner(`${dst}/dir/file`), '1000:2000 640');
  t.is((await env.skiff(['unshare', 'cat', `${dst}/link`])).stdout, 'hello');
});

test.serial('export to stdout and import from stdin (-)', async (t) => {
  await env.skiff(['volume', 'create', 'piped']);
  const globals = ['--root', env.root, '--runroot', env.runroot];
  const file = join(work, 'stdout.tar');
  await execa(SKIFF_BIN, [...globals, 'volume', 'export', 'src'], { stdout: { file }, stdin: 'ignore', cwd: PROJECT_ROOT, timeout: 60_000 });
  await execa(SKIFF_BIN, [...globals, 'volume', 'import', 'piped', '-'], { stdin: { file }, cwd: PROJECT_ROOT, timeout: 60_000 });
  t.is(await owner(`${await mountpoint('piped')}/dir/file`), '1000:2000 640');
});

test.serial('export and import of a volume that does not exist: exit 125', async (t) => {
  const exported = await env.skiff(['volume', 'export', 'nosuch', '-o', join(work, 'x.tar')], { exit: 125 });
  t.is(exported.stderr, 'Error: no such volume nosuch');
  await env.skiff(['volume', 'import', 'nosuch', join(work, 'src.tar')], { exit: 125 });
  await env.skiff(['volume', 'import', 'piped', join(work, 'missing.tar')], { exit: 125 });
});

test.serial('export refuses a terminal for stdout', async (t) => {
  const term = pty.spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'volume', 'export', 'src'], {
    name: 'xterm', cols: 200, rows: 30, cwd: PROJECT_ROOT, env: process.env as Record<string, string>,
  });
  let out = '';
  term.onData((d) => { out += d; });
  const { exitCode } = await new Promise<{ exitCode: number }>((resolve) => term.onExit(resolve));
  t.is(exitCode, 125);
  t.regex(out, /Error: refusing to export to terminal\. Use -o flag or redirect/);
});

test.serial('volume mount: refused outside unshare; a plain volume prints its data dir; a tmpfs volume is mounted, counted and unmounted', async (t) => {
  await env.skiff(['volume', 'create', 'plain']);
  const refused = await env.skiff(['volume', 'mount', 'plain'], { exit: 125 });
  t.is(refused.stderr, 'Error: cannot run command "skiff volume mount" in rootless mode, must execute `skiff unshare` first');
  t.is((await inner(['volume', 'mount', 'plain'])).stdout, await mountpoint('plain'));
  await env.skiff(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m,mode=0700', 'scratch']);
  const path = await mountpoint('scratch');
  t.is((await inner(['volume', 'mount', 'scratch'])).stdout, path);
  t.is((await inner(['volume', 'mount', 'scratch'])).stdout, path);
  t.is((await env.skiff(['volume', 'inspect', '--format', '{{.MountCount}}', 'scratch'])).stdout, '2');
  const fs = async () => (await env.skiff(['unshare', 'sh', '-c', `awk '$5 == "${path}" {print $9}' /proc/self/mountinfo`])).stdout;
  t.is(await fs(), 'tmpfs');
  t.is((await env.skiff(['volume', 'unmount', 'scratch'])).stdout, 'scratch');
  t.is(await fs(), 'tmpfs', 'one user left');
  await env.skiff(['volume', 'unmount', 'scratch']);
  t.is(await fs(), '');
  t.is((await env.skiff(['volume', 'inspect', '--format', '{{.MountCount}}', 'scratch'])).stdout, '0');
  await env.skiff(['volume', 'unmount', 'nosuch'], { exit: 125 });
});

test.serial('volume mount of a type=bind volume binds its device on the data dir', async (t) => {
  const device = join(work, 'bind-src');
  await mkdir(device);
  await writeFile(join(device, 'file'), 'from the host');
  await env.skiff(['volume', 'create', '-o', 'type=bind', '-o', `device=${device}`, 'bound']);
  const path = await mountpoint('bound');
  t.is((await inner(['volume', 'mount', 'bound'])).stdout, path);
  t.is((await env.skiff(['unshare', 'cat', `${path}/file`])).stdout, 'from the host');
  await env.skiff(['volume', 'unmount', 'bound']);
  await env.skiff(['unshare', 'test', '!', '-e', `${path}/file`]);
});
