// The two path rules behind mounts: a bind source keeps the nosuid/nodev/
// noexec of the mount it lives on (a user namespace may not clear them),
// and copy-up finds an image's mount point with links resolved inside the
// root file system, never on the host (securejoin's rule).
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { idThroughMap, inheritedFlags } from '../../../src/engine/container/mounts/resolve.js';
import { resolveInRoot } from '../../../src/store/mount-prep.js';

const MOUNTINFO = [
  '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '30 22 0:25 / /tmp rw,nosuid,nodev shared:5 - tmpfs tmpfs rw',
  '31 30 0:26 / /tmp/noexec\\040dir rw,nosuid,nodev,noexec shared:6 - tmpfs tmpfs rw',
  '',
].join('\n');

test('inheritedFlags: the flags of the deepest mount holding the path', (t) => {
  t.deepEqual(inheritedFlags('/home/u/src', MOUNTINFO), []);
  t.deepEqual(inheritedFlags('/tmp/x', MOUNTINFO), ['nosuid', 'nodev']);
  t.deepEqual(inheritedFlags('/tmp/noexec dir/y', MOUNTINFO), ['nosuid', 'nodev', 'noexec']);
  // A sibling whose name only starts the same is not inside.
  t.deepEqual(inheritedFlags('/tmpfoo', MOUNTINFO), []);
});

let root: string;
test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'skroot-'));
  await mkdir(join(root, 'data', 'sub'), { recursive: true });
  await writeFile(join(root, 'data', 'f'), 'x');
  await symlink('/', join(root, 'to-root'));
  await symlink('../../../../../../../../etc', join(root, 'up'));
  await symlink('/data/sub', join(root, 'abs'));
  await symlink('loop2', join(root, 'loop1'));
  await symlink('loop1', join(root, 'loop2'));
});
test.after.always(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

test('resolveInRoot: links and .. never leave the root', (t) => {
  t.is(resolveInRoot(root, '/data'), join(root, 'data'));
  t.is(resolveInRoot(root, '/to-root'), root);
  t.is(resolveInRoot(root, '/to-root/data/sub'), join(root, 'data', 'sub'));
  // ../ past the root stays at the root: the host's /etc is never reached.
  t.is(resolveInRoot(root, '/up'), undefined);
  t.is(resolveInRoot(root, '/../../data'), join(root, 'data'));
  t.is(resolveInRoot(root, '/abs'), join(root, 'data', 'sub'));
  t.is(resolveInRoot(root, '/missing/x'), undefined);
  t.is(resolveInRoot(root, '/data/f/x'), undefined);
  t.is(resolveInRoot(root, '/loop1'), undefined);
});

test('idThroughMap: the container user as skiff\'s namespace sees it (keep-id), for U and volume owners', (t) => {
  // keep-id for uid 1000 with a 65536 range: 0..999 -> 1..1000, 1000 -> 0, 1001.. -> 1001..
  const map = [{ containerID: 0, hostID: 1, size: 1000 }, { containerID: 1000, hostID: 0, size: 1 }, { containerID: 1001, hostID: 1001, size: 64535 }];
  t.is(idThroughMap(1000, map, 'uid'), 0);
  t.is(idThroughMap(0, map, 'uid'), 1);
  t.is(idThroughMap(5000, map, 'uid'), 5000);
  t.is(idThroughMap(42, undefined, 'uid'), 42);
  t.throws(() => idThroughMap(70000, map, 'uid'), { message: /not mapped/ });
});
