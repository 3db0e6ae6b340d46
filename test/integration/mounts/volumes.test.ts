// Named and anonymous volumes on run/create, as podman: made on first use,
// the image's content and owner copied up into a new volume (not with
// nocopy, never over content), image VOLUMEs as anonymous volumes that
// rm -v and run --rm remove, --volumes-from, tmpfs and devpts mounts.
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildImageOfLayers } from '../../fixtures/oci-image.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';
import { VolumeStore } from '../../../src/store/volumes.js';

let env: TestEnv;
let work: string;

test.before(async () => {
  env = await newTestEnv();
  work = await mkdtemp(join(tmpdir(), 'skvol-'));
  const layout = join(work, 'layout');
  const seed = [
    { name: 'data', type: 'directory', mode: 0o750, uid: 1000, gid: 1000 },
    { name: 'data/seed.txt', type: 'file', content: 'seed\n', uid: 1000, gid: 1000 },
    { name: 'data/sub', type: 'directory', mode: 0o700, uid: 1000, gid: 1000 },
    { name: 'data/sub/deep.txt', type: 'file', content: 'deep\n', uid: 1000, gid: 1000 },
    { name: 'data/link', type: 'symlink', linkname: '/etc/passwd' },
  ] as const;
  await buildImageOfLayers(layout, 'localhost/seeded:latest', [[...seed]]);
  await buildImageOfLayers(layout, 'localhost/withvol:latest', [[...seed]], { volumes: ['/data', '/empty'] });
  await env.skiff(['load', '-q', '-i', layout]);
});

test.after.always(async () => {
  await env?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

const volumesDir = () => join(env.root, 'volumes');
const volumeRecord = async (name: string) => JSON.parse(await readFile(join(volumesDir(), name, 'volume.json'), 'utf8')) as { anonymous: boolean; needsCopyUp: boolean; needsChown: boolean };
const volumeNames = async () => (await readdir(volumesDir()).catch(() => [] as string[])).filter((n) => !n.endsWith('.lock'));
const run = (args: string[], opts: { exit?: number } = {}) => env.skiff(['run', '--rm', '--network', 'none', ...args], opts);

test.serial('-v NAME:DST makes the named volume on first use; its content outlives the container', async (t) => {
  await run(['-v', 'keep:/k', 'localhost/seeded', 'sh', '-c', 'echo hello >/k/f']);
  t.false((await volumeRecord('keep')).anonymous);
  t.is(await readFile(join(volumesDir(), 'keep', '_data', 'f'), 'utf8'), 'hello\n');
  t.is((await run(['-v', 'keep:/k2:ro', 'localhost/seeded', 'cat', '/k2/f'])).stdout, 'hello');
  // Mounted twice in one container, and the same -v twice: one volume.
  await run(['-v', 'keep:/a', '-v', 'keep:/b', '-v', 'keep:/b', 'localhost/seeded', 'cat', '/a/f', '/b/f']);
  t.true((await volumeNames()).includes('keep'));
});

test.serial('a new named volume gets the image\'s content, owner and mode at its mount point (copy-up); links stay links', async (t) => {
  const r = await run(['-v', 'copied:/data', 'localhost/seeded', 'sh', '-c', 'cat /data/seed.txt /data/sub/deep.txt; stat -c "%u:%g %a" /data /data/sub/deep.txt; ls -l /data/link']);
  t.is(r.lines[0], 'seed');
  t.is(r.lines[1], 'deep');
  t.is(r.lines[2], '1000:1000 750');
  t.is(r.lines[3], '1000:1000 644');
  t.regex(r.lines[4]!, /link -> \/etc\/passwd$/);
  const record = await volumeRecord('copied');
  t.false(record.needsCopyUp);
  t.false(record.needsChown);
  // Copied once: what the container changes stays, the image's is not copied again.
  await run(['-v', 'copied:/data', 'localhost/seeded', 'rm', '/data/seed.txt']);
  t.is((await run(['-v', 'copied:/data', 'localhost/seeded', 'ls', '/data'])).lines.join(' '), 'link sub');
});

test.serial('nocopy: the new volume stays empty; a volume on a path the image lacks is owned by the container user', async (t) => {
  t.is((await run(['-v', 'nocp:/data:nocopy', 'localhost/seeded', 'ls', '-A', '/data'])).stdout, '');
  t.is((await run(['--user', '1000:1000', '-v', 'fresh:/nowhere', 'localhost/seeded', 'stat', '-c', '%u:%g', '/nowhere'])).stdout, '1000:1000');
  // Not copied (nothing there): podman keeps NeedsCopyUp, NeedsChown is done.
  t.true((await volumeRecord('fresh')).needsCopyUp);
  t.false((await volumeRecord('fresh')).needsChown);
});

test.serial('-v /DST and image VOLUMEs are anonymous volumes (64-hex names), copied up; rm -v removes them, rm alone keeps them', async (t) => {
  const before = new Set(await volumeNames());
  const id = (await env.skiff(['create', '--network', 'none', '-v', '/scratch', 'localhost/withvol', 'sh', '-c', 'cat /data/seed.txt; stat -c %u /data; echo x >/scratch/x'])).stdout;
  const made = (await volumeNames()).filter((n) => !before.has(n));
  t.is(made.length, 3);
  for (const name of made) {
    t.regex(name, /^[0-9a-f]{64}$/);
    t.true((await volumeRecord(name)).anonymous);
  }
  t.deepEqual((await env.skiff(['start', '-a', id])).lines, ['seed', '1000']);
  await env.skiff(['rm', '-v', id]);
  t.deepEqual((await volumeNames()).filter((n) => !before.has(n)), []);

  const kept = (await env.skiff(['create', '--network', 'none', 'localhost/withvol', 'true'])).stdout;
  await env.skiff(['rm', kept]);
  const left = (await volumeNames()).filter((n) => !before.has(n));
  t.is(left.length, 2);
  const store = new VolumeStore(volumesDir());
  await store.withLock(async () => {
    for (const name of left) await store.removeLocked(name);
  });
});

test.serial('run --rm removes its anonymous volumes, not named ones', async (t) => {
  const before = new Set(await volumeNames());
  await run(['-v', '/anon', '-v', 'named-rm:/n', 'localhost/withvol', 'true']);
  t.deepEqual((await volumeNames()).filter((n) => !before.has(n)), ['named-rm']);
});

test.serial('--volumes-from CTR[:ro]: the same volumes and binds at the same places; a missing container is 125', async (t) => {
  const host = await mkdtemp(join(work, 'bind-'));
  await env.skiff(['create', '--name', 'source', '--network', 'none', '-v', 'shared:/shared', '-v', `${host}:/host`, 'localhost/seeded', 'true']);
  await run(['--volumes-from', 'source', 'localhost/seeded', 'sh', '-c', 'echo via-from >/shared/f; echo h >/host/h']);
  t.is(await readFile(join(volumesDir(), 'shared', '_data', 'f'), 'utf8'), 'via-from\n');
  t.is(await readFile(join(host, 'h'), 'utf8'), 'h\n');
  const ro = await run(['--volumes-from', 'source:ro', 'localhost/seeded', 'touch', '/shared/g'], { exit: 1 });
  t.regex(ro.stderr, /Read-only file system/);
  const missing = await env.skiff(['create', '--volumes-from', 'nosuch', 'localhost/seeded', 'true'], { exit: 125 });
  t.is(missing.stderr, 'Error: looking up container "nosuch" for volumes-from: no container with name or ID "nosuch" found: no such container');
  await env.skiff(['rm', 'source']);
});

test.serial('--tmpfs and --mount type=tmpfs|devpts: options as given, podman\'s defaults', async (t) => {
  const r = await run(['--tmpfs', '/t:size=1m,mode=700', '--mount', 'type=tmpfs,dst=/m,tmpfs-size=2m', '--mount', 'type=devpts,dst=/dev/pts2', 'localhost/seeded', 'sh', '-c',
    'stat -f -c %T /t /m; stat -c %a /t; grep -E " /(t|m|dev/pts2) " /proc/self/mounts | cut -d" " -f1-4']);
  t.deepEqual(r.lines.slice(0, 3), ['tmpfs', 'tmpfs', '700']);
  const mounts = r.lines.slice(3).join('\n');
  t.regex(mounts, /^tmpfs \/t tmpfs rw,nosuid,nodev.*size=1024k.*mode=700/m);
  t.regex(mounts, /^tmpfs \/m tmpfs rw,nosuid,nodev.*size=2048k/m);
  t.regex(mounts, /^devpts \/dev\/pts2 devpts /m);
  // --tmpfs over /dev/shm replaces the default one.
  t.regex((await run(['--tmpfs', '/dev/shm:size=3m', 'localhost/seeded', 'grep', ' /dev/shm ', '/proc/self/mounts'])).stdout, /size=3072k/);
});

test.serial('a volume made with -o type=tmpfs is a tmpfs in the container', async (t) => {
  const store = new VolumeStore(volumesDir());
  await store.withLock(() => store.addLocked({ name: 'tmpvol', driver: 'local', createdAt: new Date().toISOString(), labels: {}, options: { type: 'tmpfs', device: 'tmpfs', o: 'size=2m' }, anonymous: false, needsCopyUp: true, needsChown: true }));
  t.is((await run(['-v', 'tmpvol:/vol', 'localhost/seeded', 'stat', '-f', '-c', '%T', '/vol'])).stdout, 'tmpfs');
  // As podman: mounted while a container uses it (MountCount), shared by those that do, unmounted after the last.
  const holder = (await env.skiff(['run', '-d', '--network', 'none', '-v', 'tmpvol:/vol', 'localhost/seeded', 'sh', '-c', 'echo kept >/vol/f; sleep 1000'])).stdout;
  t.is((await volumeRecord('tmpvol') as { mountCount?: number }).mountCount, 1);
  t.is((await run(['-v', 'tmpvol:/vol', 'localhost/seeded', 'sh', '-c', 'sleep 0.2; cat /vol/f'])).stdout, 'kept');
  t.is((await volumeRecord('tmpvol') as { mountCount?: number }).mountCount, 1);
  await env.skiff(['rm', '-f', '-t', '0', holder]);
  t.is((await volumeRecord('tmpvol') as { mountCount?: number }).mountCount, 0);
  t.is((await run(['-v', 'tmpvol:/vol', 'localhost/seeded', 'ls', '-A', '/vol'])).stdout, '');
  await stat(join(volumesDir(), 'tmpvol', '_data'));
});

test.serial('a volume made with -o type=bind,device=DIR shows DIR (owned by root inside), as podman\'s local driver', async (t) => {
  const dir = await mkdtemp(join(work, 'device-'));
  await writeFile(join(dir, 'on-device'), 'dev\n');
  const store = new VolumeStore(volumesDir());
  await store.withLock(() => store.addLocked({ name: 'bindvol', driver: 'local', createdAt: new Date().toISOString(), labels: {}, options: { type: 'bind', device: dir }, anonymous: false, needsCopyUp: true, needsChown: true }));
  const r = await run(['-v', 'bindvol:/vol:z', 'localhost/seeded', 'sh', '-c', 'cat /vol/on-device; stat -c %u:%g /vol/on-device; echo back >/vol/written']);
  t.deepEqual(r.lines, ['dev', '0:0']);
  t.is(await readFile(join(dir, 'written'), 'utf8'), 'back\n');
});

test.serial('--image-volume tmpfs|ignore|bind: the image\'s VOLUMEs as tmpfs, not at all, or anonymous volumes; a bad mode is 125', async (t) => {
  const before = new Set(await volumeNames());
  t.deepEqual((await run(['--image-volume', 'tmpfs', 'localhost/withvol', 'stat', '-f', '-c', '%T', '/data', '/empty'])).lines, ['tmpfs', 'tmpfs']);
  // ignore: the image's own /data (a plain directory of the rootfs), and no /empty at all.
  const ignored = await run(['--image-volume', 'ignore', 'localhost/withvol', 'sh', '-c', 'cat /data/seed.txt; stat -f -c %T /empty'], { exit: 1 });
  t.is(ignored.lines[0], 'seed');
  t.regex(ignored.stderr, /can't read file system information for '\/empty'/);
  t.deepEqual((await volumeNames()).filter((n) => !before.has(n)), []);
  const bad = await env.skiff(['create', '--image-volume', 'foo', 'localhost/withvol', 'true'], { exit: 125 });
  t.is(bad.stderr, 'Error: invalid image volume mode "foo" required value: bind, tmpfs, ignore');
});

test.serial('containers.conf image_volume_mode is the default of --image-volume; the flag wins', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skconf-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const conf = join(dir, 'containers.conf');
  await writeFile(conf, '[engine]\nimage_volume_mode = "tmpfs"\n');
  const fsType = async (flags: string[]) => (await env.skiff(['run', '--rm', '--network', 'none', ...flags, 'localhost/withvol', 'stat', '-f', '-c', '%T', '/empty'], { env: { CONTAINERS_CONF: conf } })).stdout;
  t.is(await fsType([]), 'tmpfs');
  t.not(await fsType(['--image-volume', 'bind']), 'tmpfs');
});
