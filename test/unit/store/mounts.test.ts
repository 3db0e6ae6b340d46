import test from 'ava';
import { mountsOn } from '../../../src/store/mounts.js';

const MOUNTINFO = [
  '22 1 0:21 / / rw,relatime - overlay overlay rw',
  '90 22 0:50 / /tmp/sk-x/root/containers/abc/rootfs/merged rw,relatime - overlay overlay rw,lowerdir=/l',
  '91 90 0:51 / /tmp/sk-x/root/containers/abc/rootfs/merged rw,relatime - overlay overlay rw,lowerdir=/l',
  '92 22 0:52 / /tmp/with\\040space/merged rw - overlay overlay rw',
  '93 22 0:53 / /tmp/sk-x/root/containers/abc/rootfs/merged2 rw - overlay overlay rw',
  '',
].join('\n');

test('counts stacked mounts on one mount point, and only on it', (t) => {
  t.is(mountsOn('/tmp/sk-x/root/containers/abc/rootfs/merged', MOUNTINFO), 2);
  t.is(mountsOn('/tmp/sk-x/root/containers/abc/rootfs', MOUNTINFO), 0);
});

test('mount points with octal escapes (a space is \\040) are matched unescaped', (t) => {
  t.is(mountsOn('/tmp/with space/merged', MOUNTINFO), 1);
});
