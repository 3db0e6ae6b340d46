// The container's / keeps the image's mode (rhbz#1854566: Fedora's
// filesystem package wants 0555; podman's 030-run checks it), with both
// storage drivers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildImageOfLayers } from '../../fixtures/oci-image.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
// A store keeps the driver it was made with: one per driver.
let vfsEnv: TestEnv;
let work: string;

const ROOT_555 = { name: './', type: 'directory', mode: 0o555 } as const;
const APP = { name: 'etc/app.conf', type: 'file', content: 'app\n' } as const;

test.before(async () => {
  env = await newTestEnv();
  vfsEnv = await newTestEnv();
  work = await mkdtemp(join(tmpdir(), 'skroot-'));
  const layout = join(work, 'layout');
  await buildImageOfLayers(layout, 'localhost/root555:latest', [[ROOT_555]]);
  // A layer without a "./" entry keeps the / of the layers below it.
  await buildImageOfLayers(layout, 'localhost/root555-app:latest', [[ROOT_555], [APP]]);
  await buildImageOfLayers(layout, 'localhost/root755:latest', [[APP]]);
  await env.skiff(['load', '-q', '-i', layout]);
  await vfsEnv.skiff(['load', '-q', '-i', layout]);
});

test.after.always(async () => {
  await env?.cleanup();
  await vfsEnv?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

for (const driver of ['overlay', 'vfs'] as const) {
  test.serial(`${driver}: / has the mode the image's layers give it, and root in the container still writes there`, async (t) => {
    const rootMode = async (image: string) =>
      (await (driver === 'vfs' ? vfsEnv : env).skiff(['--storage-driver', driver, 'run', '--rm', '--network', 'none', image, 'sh', '-c', 'stat -c %a / && touch /new && echo wrote'])).lines;
    t.deepEqual(await rootMode('localhost/root555'), ['555', 'wrote']);
    t.deepEqual(await rootMode('localhost/root555-app'), ['555', 'wrote']);
    t.deepEqual(await rootMode('localhost/root755'), ['755', 'wrote']);
  });
}

test.serial('a container that changes the mode of / keeps it across restarts', async (t) => {
  const id = (await env.skiff(['create', '--network', 'none', 'localhost/root555', 'sh', '-c', 'stat -c %a /; chmod 711 /'])).stdout;
  t.is((await env.skiff(['start', '-a', id])).stdout, '555');
  t.is((await env.skiff(['start', '-a', id])).stdout, '711');
  await env.skiff(['rm', id]);
});
