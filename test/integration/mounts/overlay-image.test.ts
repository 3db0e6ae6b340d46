// -v DIR:DST:O (an overlay with the host directory as its lower layer:
// the container writes, the host directory never changes, the writes are
// gone at exit) and --mount type=image (another image's files, read-only
// unless rw=true), both with native overlay in the user namespace.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildImageOfLayers } from '../../fixtures/oci-image.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
let work: string;

test.before(async () => {
  env = await newTestEnv();
  work = await mkdtemp(join(tmpdir(), 'skovl-'));
  const layout = join(work, 'layout');
  await buildImageOfLayers(layout, 'localhost/base:latest', []);
  await buildImageOfLayers(layout, 'localhost/content:latest', [[{ name: 'opt', type: 'directory' }, { name: 'opt/app.txt', type: 'file', content: 'from the image\n' }]]);
  await env.skiff(['load', '-q', '-i', layout]);
});

test.after.always(async () => {
  await env?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

test.serial('O: the container sees and changes the host directory\'s files; the host directory stays as it was; writes are gone at the next start', async (t) => {
  const dir = await mkdtemp(join(work, 'lower-'));
  await writeFile(join(dir, 'f'), 'host\n');
  const id = (await env.skiff(['create', '--network', 'none', '-v', `${dir}:/o:O`, 'localhost/base', 'sh', '-c', 'cat /o/f; ls /o; echo changed >/o/f; echo new >/o/new; rm -f /o/gone'])).stdout;
  await writeFile(join(dir, 'gone'), 'x');
  t.deepEqual((await env.skiff(['start', '-a', id])).lines, ['host', 'f', 'gone']);
  t.is(await readFile(join(dir, 'f'), 'utf8'), 'host\n');
  t.deepEqual((await readdir(dir)).sort(), ['f', 'gone']);
  // The upper layer was discarded at exit: the second run sees the host's files again.
  t.deepEqual((await env.skiff(['start', '-a', id])).lines, ['host', 'f', 'gone']);
  await env.skiff(['rm', id]);
});

test.serial('--mount type=image: the image\'s files, read-only by default, writable (in a per-container layer) with rw=true', async (t) => {
  const ro = await env.skiff(['run', '--rm', '--network', 'none', '--mount', 'type=image,src=localhost/content,dst=/img', 'localhost/base', 'sh', '-c', 'cat /img/opt/app.txt; touch /img/x'], { exit: 1 });
  t.is(ro.stdout, 'from the image');
  t.regex(ro.stderr, /Read-only file system/);
  const rw = await env.skiff(['run', '--rm', '--network', 'none', '--mount', 'type=image,source=localhost/content,target=/img,rw=true', 'localhost/base', 'sh', '-c', 'echo w >/img/opt/app.txt && cat /img/opt/app.txt']);
  t.is(rw.stdout, 'w');
  // The image itself is unchanged.
  t.is((await env.skiff(['run', '--rm', '--network', 'none', 'localhost/content', 'cat', '/opt/app.txt'])).stdout, 'from the image');
  // inspect as podman's 060-mount "--mount image inspection".
  const id = (await env.skiff(['create', '--network', 'none', '--mount', 'type=image,src=localhost/content,dst=/image-mount,rw=true', 'localhost/base', 'true'])).stdout;
  t.is((await env.skiff(['inspect', '--format', '{{(index .Mounts 0).Type}} {{(index .Mounts 0).Source}} {{(index .Mounts 0).Destination}} {{(index .Mounts 0).RW}}', id])).stdout, 'image localhost/content /image-mount true');
  await env.skiff(['rm', id]);
  const missing = await env.skiff(['create', '--mount', 'type=image,src=localhost/nosuch,dst=/img', 'localhost/base', 'true'], { exit: 125 });
  t.regex(missing.stderr, /^Error: .*localhost\/nosuch.*/);
});
