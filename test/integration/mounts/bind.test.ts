// -v HOST-DIR and --mount type=bind as podman: rbind and rprivate by
// default, ro enforced, a missing source refused up front with nothing
// made, rootless ownership (the user's files are root's inside) and U.
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();
let host: string;
test.before(async () => {
  host = await mkdtemp(join(tmpdir(), 'skbind-'));
  await chmod(host, 0o755);
  await writeFile(join(host, 'in.txt'), 'from the host\n');
});
test.after.always(async () => {
  // Files chowned to sub-ids are removed from inside, where they are ours.
  if (host) await env.skiff(['run', '--rm', '--network', 'none', '-v', `${host}:/h`, 'localhost/bb', 'sh', '-c', 'rm -rf /h/*']).catch(() => undefined);
  if (host) await rm(host, { recursive: true, force: true }).catch(() => undefined);
});

const run = (args: string[], opts: { exit?: number } = {}) => env.skiff(['run', '--rm', '--network', 'none', ...args], opts);

test('a host directory is bound read-write, owned by root inside; writes reach the host', async (t) => {
  const r = await run(['-v', `${host}:/data`, 'localhost/bb', 'sh', '-c', 'cat /data/in.txt; stat -c %u:%g /data /data/in.txt; echo out >/data/out.txt']);
  t.deepEqual(r.lines, ['from the host', '0:0', '0:0']);
  t.is(await readFile(join(host, 'out.txt'), 'utf8'), 'out\n');
  // The file the container wrote is the user's own on the host.
  t.is((await stat(join(host, 'out.txt'))).uid, process.getuid!());
});

test('ro is enforced: writing is "Read-only file system" (exit 1); --mount readonly too', async (t) => {
  const r = await run(['-v', `${host}:/data:ro,z`, 'localhost/bb', 'touch', '/data/x'], { exit: 1 });
  t.regex(r.stderr, /Read-only file system/);
  const m = await run(['--mount', `type=bind,src=${host},dst=/data,readonly`, 'localhost/bb', 'touch', '/data/x'], { exit: 1 });
  t.regex(m.stderr, /Read-only file system/);
  t.false((await readdir(host)).includes('x'));
});

test('the runtime spec has podman options: rbind, rprivate, rw by default', async (t) => {
  const id = (await env.skiff(['create', '--network', 'none', '-v', `${host}:/data`, '--mount', `type=bind,src=${host},dst=/d2,bind-propagation=rslave,ro=true`, 'localhost/bb', 'true'])).stdout;
  const spec = JSON.parse(await readFile(join(env.root, 'containers', id, 'bundle', 'config.json'), 'utf8')) as { mounts: { destination: string; source: string; type: string; options: string[] }[] };
  const data = spec.mounts.find((m) => m.destination === '/data');
  t.is(data?.type, 'bind');
  t.is(data?.source, host);
  t.deepEqual(data?.options.filter((o) => !['nosuid', 'nodev', 'noexec'].includes(o)), ['rw', 'rprivate', 'rbind']);
  t.deepEqual(spec.mounts.find((m) => m.destination === '/d2')?.options.filter((o) => !['nosuid', 'nodev', 'noexec'].includes(o)), ['rslave', 'ro', 'rbind']);
  await env.skiff(['rm', id]);
});

test('a missing source is podman\'s statfs error, 125, and no container or volume is made', async (t) => {
  const r = await env.skiff(['create', '--name', 'nosrc', '-v', `${host}/nope:/x`, 'localhost/bb', 'true'], { exit: 125 });
  t.is(r.stderr, `Error: statfs ${host}/nope: no such file or directory`);
  // A volume named before the bad bind is not created either.
  await env.skiff(['create', '--name', 'nosrc', '-v', 'early:/e', '-v', `${host}/nope:/x`, 'localhost/bb', 'true'], { exit: 125 });
  t.is((await env.skiff(['container', 'exists', 'nosrc'], { exit: 1 })).exitCode, 1);
  await t.throwsAsync(stat(join(env.root, 'volumes', 'early')));
});

test('malformed -v and --mount values: one-line errors, exit 125', async (t) => {
  for (const [args, message] of [
    [['-v', '/tmp:rel'], 'Error: invalid container path "rel", must be an absolute path'],
    [['-v', `${host}:/x:bogus`], 'Error: invalid option type "bogus"'],
    [['-v', 'a:b:c:d'], 'Error: a:b:c:d: incorrect volume format, should be [host-dir:]ctr-dir[:option]'],
    [['--mount', 'type=foo,dst=/x'], 'Error: invalid filesystem type "foo"'],
    [['-v', `${host}:/x`, '-v', '/tmp:/x'], 'Error: /x: duplicate mount destination'],
    [['-v', 'bad@name:/x'], 'Error: creating named volume "bad@name": running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument'],
  ] as const) {
    const r = await env.skiff(['create', ...args, 'localhost/bb', 'true'], { exit: 125 });
    t.is(r.stderr, message);
  }
});

test('a relative ./ source is resolved from the caller\'s directory, links included', async (t) => {
  // The test helper runs skiff in the project root: a link there would be litter, so use an absolute link instead.
  const link = join(host, 'link-to-sub');
  await mkdir(join(host, 'sub'), { recursive: true });
  await writeFile(join(host, 'sub', 'f'), 'sub\n');
  await symlink(join(host, 'sub'), link);
  // A bind source that is a symlink: followed on the host, as the user.
  const r = await run(['-v', `${link}:/s`, 'localhost/bb', 'cat', '/s/f']);
  t.is(r.stdout, 'sub');
});

test('U chowns the source to the container user through the id map, before each start', async (t) => {
  const dir = join(host, 'owned');
  await mkdir(join(dir, 'deep'), { recursive: true });
  await writeFile(join(dir, 'deep', 'f'), 'x');
  const id = (await env.skiff(['create', '--network', 'none', '--user', '1000:1000', '-v', `${dir}:/data:U`, 'localhost/bb', 'stat', '-c', '%u:%g', '/data', '/data/deep/f'])).stdout;
  t.deepEqual((await env.skiff(['start', '-a', id])).lines, ['1000:1000', '1000:1000']);
  // Chowned back by someone else: chowned again at the next start.
  await run(['-v', `${dir}:/d`, 'localhost/bb', 'busybox', 'chown', '-R', '2000:2000', '/d']);
  t.deepEqual((await env.skiff(['start', '-a', id])).lines, ['1000:1000', '1000:1000']);
  // As podman: once the top is the user's, files changed inside are left as they are.
  await run(['-v', `${dir}:/d`, 'localhost/bb', 'busybox', 'chown', '100:200', '/d/deep/f']);
  t.deepEqual((await env.skiff(['start', '-a', id])).lines, ['1000:1000', '100:200']);
  await env.skiff(['rm', id]);
});

test('a --workdir the image lacks is fine when it is a mount point, or a parent of one (030-run "check workdir")', async (t) => {
  await writeFile(join(host, 'content'), 'c\n');
  t.is((await run(['--workdir', '/NotOnTheImage', '-v', `${host}:/NotOnTheImage:Z`, 'localhost/bb', 'cat', 'content'])).stdout, 'c');
  t.is((await run(['--workdir', '/NotOnTheImage2', '-v', `${join(host, 'content')}:/NotOnTheImage2/foo:Z`, 'localhost/bb', 'cat', 'foo'])).stdout, 'c');
  const r = await run(['--workdir', '/NotOnTheImage3', '-v', `${host}:/elsewhere`, 'localhost/bb', 'pwd'], { exit: 126 });
  t.regex(r.stderr, /workdir "\/NotOnTheImage3" does not exist on container/);
});

test('--read-only: / is read-only, /tmp, /var/tmp and /run are writable tmpfs (--read-only-tmpfs, podman\'s default); =false keeps them read-only', async (t) => {
  const r = await run(['--read-only', 'localhost/bb', 'sh', '-c', 'touch /x 2>&1; for d in /tmp /var/tmp /run; do touch $d/f && stat -f -c %T $d; done']);
  t.regex(r.lines[0]!, /Read-only file system/);
  t.deepEqual(r.lines.slice(1), ['tmpfs', 'tmpfs', 'tmpfs']);
  const off = await run(['--read-only', '--read-only-tmpfs=false', 'localhost/bb', 'touch', '/tmp/f'], { exit: 1 });
  t.regex(off.stderr, /Read-only file system/);
  // A mount of the user's on one of them wins.
  t.is((await run(['--read-only', '-v', `${host}:/tmp`, 'localhost/bb', 'cat', '/tmp/in.txt'])).stdout, 'from the host');
});
