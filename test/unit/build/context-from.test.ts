// COPY --from=STAGE|IMAGE reads from a root file system (the executor
// passes a stage's mounted rootfs) with the same rules and confinement as
// the context: absolute links such as /bin/sh -> /bin/busybox or
// /usr/lib -> /lib resolve beneath that rootfs, never on the host. And the
// destination is resolved through the image's own links (destResolverIn),
// as buildah puts COPY x /var/run/x into /run/x when /var/run -> ../run.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { writeCopyLayer } from '../../../src/build/context/copy-layer.js';
import { destExistsIn, destResolverIn } from '../../../src/build/context/dest.js';
import { CopySourceError, resolveCopySources } from '../../../src/build/context/sources.js';
import { T0, readLayer, sandbox, shape, withTree, removeSandboxes } from './context-helpers.js';

test.after.always(removeSandboxes);

const ROOTFS = {
  'bin/busybox': { content: 'stage busybox\n', mode: 0o755 },
  'bin/sh': { link: '/bin/busybox' },
  'lib/libc.so': 'libc',
  'lib/libm.so': 'libm',
  'usr/lib': { link: '/lib' },
  'etc/passwd': 'stage passwd\n',
  'etc/shadow-link': { link: '/etc/shadow' },
  'etc/host-passwd': { link: '../../../../../../etc/passwd' },
  'run/': { dir: true as const },
  'var/run': { link: '../run' },
  escape: { link: '/../../..' },
};

test('absolute links in a stage rootfs resolve beneath it: /bin/sh is the stage\'s busybox, /usr/lib/* its /lib', async (t) => {
  const rootfs = await withTree(await sandbox(), ROOTFS);
  const sh = await resolveCopySources(rootfs, ['/bin/sh']);
  t.deepEqual(sh.map((s) => [s.rel, s.name, s.type]), [['bin/busybox', 'sh', 'file']]);
  const entries = await readLayer((out) => writeCopyLayer(sh, '/usr/local/bin/', out, { workdir: '/', timestamp: T0 }));
  t.deepEqual(shape(entries), ['usr/ directory 755', 'usr/local/ directory 755', 'usr/local/bin/ directory 755', 'usr/local/bin/sh file 755']);
  t.is(entries[3].content, 'stage busybox\n');
  t.deepEqual((await resolveCopySources(rootfs, ['/usr/lib/*.so'])).map((s) => s.rel), ['lib/libc.so', 'lib/libm.so']);
});

test('links in a stage rootfs pointing at host files name the rootfs\'s own files or nothing', async (t) => {
  const rootfs = await withTree(await sandbox(), ROOTFS);
  await t.throwsAsync(resolveCopySources(rootfs, ['/etc/shadow-link']), { instanceOf: CopySourceError });
  const found = await resolveCopySources(rootfs, ['/etc/host-passwd', '/escape/etc/passwd']);
  t.deepEqual(found.map((s) => s.rel), ['etc/passwd', 'etc/passwd']);
  const entries = await readLayer((out) => writeCopyLayer(found, '/x/', out, { workdir: '/' }));
  t.true(entries.filter((e) => e.type === 'file').every((e) => e.content === 'stage passwd\n'));
  t.false(entries.some((e) => e.content === readFileSync('/etc/passwd', 'utf8')));
});

test('dest through the image\'s links: /var/run/x lands in /run/x, /var/run/ is /run, a link climbing out stays in the rootfs', async (t) => {
  const rootfs = await withTree(await sandbox(), ROOTFS);
  const ctx = await withTree(await sandbox(), { f: 'f' });
  const found = await resolveCopySources(ctx, ['f']);
  const options = { workdir: '/', timestamp: T0, resolveDest: destResolverIn(rootfs), destExists: destExistsIn(rootfs) };
  const layer = (dest: string) => readLayer((out) => writeCopyLayer(found, dest, out, options));
  t.deepEqual(shape(await layer('/var/run/x')), ['run/x file 644']);
  t.deepEqual(shape(await layer('/var/run/')), ['run/f file 644']);
  t.deepEqual(shape(await layer('/escape/new/')), ['new/ directory 755', 'new/f file 644']);
  t.deepEqual(shape(await layer('/usr/lib')), ['lib/f file 644'], 'a link to a directory is copied into');
  t.is(destResolverIn(rootfs)('/bin/sh'), '/bin/sh', 'a link to a file is left for the copy to replace');
});
