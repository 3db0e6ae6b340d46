// The layers COPY and ADD write are layers skiff's own extractor (the one
// pull and the layer store use) applies as meant: the same files, modes,
// mtimes, symlinks and hard links, beneath the made directories.
import test from 'ava';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { writeAddLayer } from '../../../src/build/context/add-layer.js';
import { writeCopyLayer } from '../../../src/build/context/copy-layer.js';
import { resolveCopySources } from '../../../src/build/context/sources.js';
import { extractLayer } from '../../../src/image/layer/extract.js';
import { T0, sandbox, withTree, removeSandboxes } from './context-helpers.js';

test.after.always(removeSandboxes);

test('a COPY layer and an ADD layer extract into the tree they describe', async (t) => {
  const ctx = await withTree(await sandbox(), { 'app/main.js': 'main', 'app/bin/run': { content: '#!/bin/sh\n', mode: 0o750 }, 'app/cur': { link: 'main.js' } });
  await fsp.link(join(ctx, 'app/main.js'), join(ctx, 'app/hard.js'));
  const { execFileSync } = await import('node:child_process');
  execFileSync('tar', ['-czf', join(ctx, 'vendor.tgz'), '-C', join(ctx, 'app'), '.']);
  const rootfs = await sandbox();
  const apply = async (write: (out: PassThrough) => Promise<void>) => {
    const through = new PassThrough();
    const applying = extractLayer(through, rootfs, { chown: false, whiteouts: 'none' });
    await write(through);
    await applying;
  };
  await apply(async (out) => writeCopyLayer(await resolveCopySources(ctx, ['app']), '/srv/app/', out, { workdir: '/', timestamp: T0 }));
  await apply(async (out) => writeAddLayer(await resolveCopySources(ctx, ['vendor.tgz']), 'vendor', out, { workdir: '/opt', timestamp: T0 }));
  for (const top of ['srv/app', 'opt/vendor']) {
    t.is(await fsp.readFile(join(rootfs, top, 'main.js'), 'utf8'), 'main', top);
    t.is((await fsp.stat(join(rootfs, top, 'bin/run'))).mode & 0o7777, 0o750);
    t.is(await fsp.readlink(join(rootfs, top, 'cur')), 'main.js');
    const [a, b] = await Promise.all([fsp.stat(join(rootfs, top, 'main.js')), fsp.stat(join(rootfs, top, 'hard.js'))]);
    t.is(a.ino, b.ino, 'hard link kept');
  }
  t.is((await fsp.stat(join(rootfs, 'srv/app/main.js'))).mtime.getTime(), T0.getTime());
  t.is((await fsp.stat(join(rootfs, 'srv'))).mode & 0o7777, 0o755);
  t.is((await fsp.stat(join(rootfs, 'srv'))).mtime.getTime(), T0.getTime());
});
