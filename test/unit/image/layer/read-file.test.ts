// readImageFile reads a file of an image (its /etc/passwd for -u) from the
// extracted layers as the container would see it. A hostile image must not
// make it read a host file: every link resolves inside the image.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { readImageFile } from '../../../../src/image/layer/read-file.js';

let work: string;
let hostSecret: string;
test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skreadfile-'));
  hostSecret = join(work, 'host-secret');
  await writeFile(hostSecret, 'HOST SECRET\n');
});
test.after.always(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

let count = 0;
async function layerDir(): Promise<string> {
  const dir = join(work, `layer-${++count}`);
  await mkdir(join(dir, 'etc'), { recursive: true });
  return dir;
}
const text = (b: Buffer | undefined) => b?.toString('utf8');

test('the topmost layer that has the file wins', async (t) => {
  const lower = await layerDir();
  const upper = await layerDir();
  await writeFile(join(lower, 'etc/passwd'), 'lower\n');
  await writeFile(join(upper, 'etc/passwd'), 'upper\n');
  t.is(text(readImageFile([lower, upper], 'etc/passwd')), 'upper\n');
  t.is(text(readImageFile([lower], '/etc/passwd')), 'lower\n');
});

test('an absolute symlink to a host file resolves inside the image, never on the host', async (t) => {
  const lower = await layerDir();
  await writeFile(join(lower, 'etc/real'), 'image file\n');
  const upper = await layerDir();
  await symlink(hostSecret, join(upper, 'etc/passwd'));
  // The link's target path does not exist in the image: nothing is read.
  t.is(readImageFile([lower, upper], 'etc/passwd'), undefined);
  // A link to a path the image has is followed within the image.
  const third = await layerDir();
  await symlink('/etc/real', join(third, 'etc/passwd'));
  t.is(text(readImageFile([lower, upper, third], 'etc/passwd')), 'image file\n');
});

test('a relative symlink climbing out with ../ is clamped at the image root', async (t) => {
  const dir = await layerDir();
  await symlink(`../../../../../../..${hostSecret}`, join(dir, 'etc/passwd'));
  t.is(readImageFile([dir], 'etc/passwd'), undefined);
});

test('a directory symlink (etc -> /host/dir) is followed inside the image', async (t) => {
  const dir = join(work, `layer-${++count}`);
  await mkdir(dir, { recursive: true });
  await symlink(work, join(dir, 'etc')); // on the host, work/ holds host-secret
  t.is(readImageFile([dir], 'etc/host-secret'), undefined);
});

test('a whiteout in an upper layer deletes the file of a lower one', async (t) => {
  const lower = await layerDir();
  await writeFile(join(lower, 'etc/passwd'), 'lower\n');
  const upper = await layerDir();
  // A 0/0 character device is how stored layers mark a deletion; since Linux
  // 5.8 an unprivileged user may make one inside a user namespace.
  execFileSync(process.getuid?.() === 0 ? 'mknod' : 'unshare', [...(process.getuid?.() === 0 ? [] : ['-r', 'mknod']), join(upper, 'etc/passwd'), 'c', '0', '0']);
  t.is(readImageFile([lower, upper], 'etc/passwd'), undefined);
});

test('a FIFO is not read (and does not block)', async (t) => {
  const dir = await layerDir();
  execFileSync('mkfifo', [join(dir, 'etc/passwd')]);
  t.is(readImageFile([dir], 'etc/passwd'), undefined);
});

test('a file in a lower layer is hidden when an upper layer turns its directory into a file', async (t) => {
  const lower = await layerDir();
  await writeFile(join(lower, 'etc/passwd'), 'lower\n');
  const upper = join(work, `layer-${++count}`);
  await mkdir(upper, { recursive: true });
  await writeFile(join(upper, 'etc'), 'not a directory');
  t.is(readImageFile([lower, upper], 'etc/passwd'), undefined);
});
