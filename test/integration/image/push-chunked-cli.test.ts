// End to end: `skiff push` of an image whose layer is larger than one upload
// chunk (16 MiB, as containers/image's default) goes to the real registry
// as PATCHes with Content-Range and a closing PUT, and what lands there has
// the digests skiff pushed: the blob hashes to its digest, and a fresh store
// pulls the image back. A logging proxy (test/helpers/http-proxy.ts) in front
// of the destination registry sees the requests.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildLargeLayerImage, MEDIA_TYPES, type BuiltImage } from '../../fixtures/oci-image.js';
import { startProxy, type Proxy } from '../../helpers/http-proxy.js';
import { pushOciLayout, registryRequest, startRegistry, type TestRegistry } from '../../helpers/registry.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

/** The chunk size skiff promises for large blobs. */
const CHUNK = 16 * 1024 * 1024;

let env: TestEnv;
let source: TestRegistry;
let dest: TestRegistry;
let proxy: Proxy;
let image: BuiltImage;
let fixtures: string;

const insecure = ['--tls-verify=false'];

test.before(async () => {
  env = await newTestEnv();
  fixtures = await mkdtemp(join(tmpdir(), 'skbig-'));
  [source, dest] = await Promise.all([startRegistry(), startRegistry()]);
  proxy = await startProxy(dest);
  image = await buildLargeLayerImage(join(fixtures, 'big'), CHUNK + 1024 * 1024);
  await pushOciLayout(source, image.dir, 'big:latest');
  await env.skiff(['pull', '-q', ...insecure, `${source.host}/big:latest`], { timeout: 120_000 });
});

test.after.always(async () => {
  await env?.cleanup();
  await proxy?.close();
  await Promise.all([source?.stop(), dest?.stop()]);
  if (fixtures) await rm(fixtures, { recursive: true, force: true });
});

test.serial('skiff push sends a layer over 16 MiB in chunks, and the registry holds the same digests', async (t) => {
  const layer = image.manifest.layers[0]!;
  t.true(layer.size > CHUNK, `the layer blob (${layer.size} bytes) must be larger than one chunk`);

  await env.skiff(['push', ...insecure, `${source.host}/big:latest`, `docker://${proxy.host}/big:copy`], { timeout: 120_000 });

  // The layer went up as two chunks; the small config blob in one PUT.
  const patches = proxy.log.filter((l) => l.startsWith('PATCH'));
  t.deepEqual(patches, [`PATCH 0-${CHUNK - 1}`, `PATCH ${CHUNK}-${layer.size - 1}`], proxy.log.join(', '));
  t.true(proxy.log.filter((l) => l === 'PUT').length >= 2, proxy.log.join(', '));

  // Straight from the registry, not through the proxy.
  const manifest = await registryRequest(dest, '/v2/big/manifests/copy', { headers: { Accept: MEDIA_TYPES.manifest } });
  t.is(manifest.status, 200);
  t.is(manifest.headers['docker-content-digest'], image.manifestDigest);
  const blob = await registryRequest(dest, `/v2/big/blobs/${layer.digest}`, { timeout: 60_000 });
  t.is(blob.status, 200);
  t.is(blob.body.length, layer.size);
  t.is(`sha256:${createHash('sha256').update(blob.body).digest('hex')}`, layer.digest);

  // A fresh store pulls it back (every blob is verified on the way in).
  const fresh = await newTestEnv();
  try {
    const pulled = await fresh.skiff(['pull', '-q', ...insecure, `${dest.host}/big:copy`], { timeout: 120_000 });
    t.is(pulled.stdout.trim(), image.configDigest.replace(/^sha256:/, ''));
  } finally {
    await fresh.cleanup();
  }
});
