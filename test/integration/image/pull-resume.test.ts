// Layers shared between images are downloaded and stored once, and a pull
// that fails halfway leaves no image but keeps its verified blobs, so the
// next pull finishes the job.
import { copyFile, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildLayeredImage, type BuiltImage } from '../../fixtures/oci-image.js';
import { startRegistry, pushOciLayout, type TestRegistry } from '../../helpers/registry.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
let reg: TestRegistry;
let image: BuiltImage;
let fixtures: string;

test.before(async () => {
  env = await newTestEnv();
  fixtures = await mkdtemp(join(tmpdir(), 'skf-'));
  reg = await startRegistry();
  image = await buildLayeredImage(join(fixtures, 'layered'));
  await pushOciLayout(reg, image.dir, 'first:latest');
  await pushOciLayout(reg, image.dir, 'second:latest');
  await pushOciLayout(reg, image.dir, 'flaky:latest');
});

test.after.always(async () => {
  await env?.cleanup();
  await reg?.stop();
  if (fixtures) await rm(fixtures, { recursive: true, force: true });
});

const hex = (digest: string) => digest.replace(/^sha256:/, '');
const pull = (ref: string, exit = 0) => env.skiff(['pull', '--tls-verify=false', `${reg.host}/${ref}`], { exit });

test.serial('a second image with the same layers downloads none of them again', async (t) => {
  await pull('first:latest');
  const second = await pull('second:latest');
  for (const layer of image.layerDigests) {
    t.regex(second.stderr, new RegExp(`Copying blob ${hex(layer).slice(0, 12)} skipped: already exists`));
  }
  // One extracted copy of each layer, shared by both names.
  const layers = (await readdir(join(env.root, 'layers'))).filter((n) => /^[0-9a-f]{64}$/.test(n));
  t.is(layers.length, image.layerDigests.length);
});

test.serial('a pull that fails halfway leaves no image, and the next pull finishes it', async (t) => {
  const fresh = await newTestEnv();
  const blobFile = (digest: string) => join(reg.dir, 'storage', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex(digest).slice(0, 2), hex(digest), 'data');
  const missing = image.layerDigests[2];
  try {
    // The registry loses one layer: the pull must fail cleanly.
    await copyFile(blobFile(missing), join(fixtures, 'saved-blob'));
    await rm(blobFile(missing));
    const failed = await fresh.skiff(['pull', '--tls-verify=false', `${reg.host}/flaky:latest`], { exit: 125 });
    t.regex(failed.stderr, /^Error: /m);
    t.deepEqual((await fresh.skiff(['images', '-q'])).lines, [], 'no half image');
    const stored = await readdir(join(fresh.root, 'blobs', 'sha256'));
    t.false(stored.includes(hex(missing)));
    t.deepEqual((await readdir(join(fresh.root, 'tmp')).catch(() => [])).filter((n) => n.startsWith('blob-')), [], 'no temp files left');

    // The blob is back: the next pull reuses what it already verified.
    await rename(join(fixtures, 'saved-blob'), blobFile(missing));
    const resumed = await fresh.skiff(['pull', '--tls-verify=false', `${reg.host}/flaky:latest`]);
    t.is(resumed.stdout.trim(), hex(image.configDigest));
    t.regex(resumed.stderr, /skipped: already exists/);
    t.regex(resumed.stderr, new RegExp(`Copying blob ${hex(missing).slice(0, 12)} done`));
  } finally {
    await fresh.cleanup();
  }
});
