// The pause process's mount namespace is a slave of the host's, as podman's
// is: a file system mounted on the host after the namespace was made (a USB
// disk, a tmpfs) is seen by namespaced commands. With private propagation
// `import --root` there wrote into the directory the mount hides.
//
// Propagation needs the host mount to be shared (systemd makes / shared; many
// containers do not). An unprivileged user can mount with FUSE but cannot
// make a mount shared, so on a host without shared mounts this file has
// nothing to check and says so.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { runSkiff } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

/** The mountinfo line of the mount that holds `path` (the longest mount point above it). */
async function mountOf(path: string): Promise<string[]> {
  const lines = (await readFile('/proc/self/mountinfo', 'utf8')).trim().split('\n').map((l) => l.split(' '));
  const above = lines.filter((f) => path === f[4] || path.startsWith(f[4] === '/' ? '/' : `${f[4]}/`));
  return above.sort((a, b) => b[4].length - a[4].length)[0];
}

test.serial('a FUSE mount made on the host after the pause process started is seen inside', async (t) => {
  const fields = await mountOf(env.dir);
  const optional = fields.slice(6, fields.indexOf('-'));
  if (!optional.some((o) => o.startsWith('shared:'))) {
    // CI makes / shared (.ci/run), as systemd does: there this case must run.
    if (process.env.CI) t.fail(`${fields[4]} is not a shared mount: .ci/run makes / shared, so propagation can be checked`);
    t.log(`${fields[4]} is not a shared mount here: mounts cannot propagate to any namespace, nothing to check`);
    t.pass();
    return;
  }
  // The pause process exists (the image import made it) before the mount.
  await env.skiff(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true']);
  const [lower, upper, work, mnt] = ['lower', 'upper', 'work', 'mnt'].map((d) => join(env.dir, `fuse-${d}`));
  for (const d of [lower, upper, work, mnt]) await mkdir(d);
  await writeFile(join(lower, 'file'), 'on the new mount\n');
  await execa('fuse-overlayfs', ['-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, mnt]);
  try {
    const { pid } = JSON.parse(await readFile(join(env.runroot, 'pause.pid'), 'utf8')) as { pid: number };
    const seen = await execa('nsenter', [`--target=${pid}`, '--user', '--mount', 'cat', join(mnt, 'file')], { reject: false });
    t.is(seen.stdout, 'on the new mount', seen.stderr);

    // import is re-executed inside the namespace: its store must land on the mount.
    await mkdir(join(env.dir, 'tree', 'etc'), { recursive: true });
    await writeFile(join(env.dir, 'tree', 'etc', 'hello'), 'hello\n');
    const tarball = join(env.dir, 'small.tar');
    await execa('tar', ['--owner=0', '--group=0', '-C', join(env.dir, 'tree'), '-cf', tarball, 'etc']);
    await runSkiff(['--root', join(mnt, 'store'), '--runroot', env.runroot], ['import', tarball, 'localhost/on-mount'], {}, t);
    t.true((await stat(join(mnt, 'store', 'images', 'images.json'))).isFile(), 'the import wrote under the mount');
  } finally {
    await execa('fusermount3', ['-u', '-z', mnt], { reject: false });
  }
});
