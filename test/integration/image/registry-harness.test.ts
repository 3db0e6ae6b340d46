// Proves the registry harness itself (test/helpers/registry.ts and
// test/fixtures/oci-image.ts): a real docker-registry serves the fixture
// images pushed with skopeo under their own digests, and the TLS + auth
// variant asks for credentials. skiff's pull is tested elsewhere.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  buildLayeredImage,
  buildMultiArchIndex,
  compressionOf,
  decompress,
  listTar,
  MEDIA_TYPES,
  sha256,
  type BuiltImage,
  type BuiltIndex,
  type OciIndex,
  type OciManifest,
} from '../../fixtures/oci-image.js';
import { pushOciLayout, registryRequest, startRegistry, type TestRegistry } from '../../helpers/registry.js';

const ACCEPT = [MEDIA_TYPES.manifest, MEDIA_TYPES.index].join(', ');

let work: string;
let plain: TestRegistry | undefined;
let secure: TestRegistry | undefined;
let layered: BuiltImage;
let zstdImage: BuiltImage;
let multi: BuiltIndex;

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skoci-'));
  // Build and start in parallel: the registries start while tars are made.
  const [p, s, l, z, m] = await Promise.all([
    startRegistry(),
    startRegistry({ tls: true, auth: { user: 'skiff', password: 's3cret pass' } }),
    buildLayeredImage(join(work, 'layered'), { compression: 'gzip' }),
    buildLayeredImage(join(work, 'layered-zstd'), { compression: 'zstd' }),
    buildMultiArchIndex(join(work, 'multi')),
  ]);
  [plain, secure, layered, zstdImage, multi] = [p, s, l, z, m];
  await Promise.all([
    pushOciLayout(plain, layered.dir, 'layered:latest'),
    pushOciLayout(plain, multi.dir, 'multi:latest', { all: true }),
    pushOciLayout(secure, zstdImage.dir, 'team/layered:zstd'),
  ]);
});

test.after.always(async () => {
  await Promise.all([plain?.stop(), secure?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

test('the layered image is served with its own digest and media types', async (t) => {
  const reg = plain!;
  const res = await registryRequest(reg, '/v2/layered/manifests/latest', { headers: { Accept: ACCEPT } });
  t.is(res.status, 200, res.body.toString());
  t.is(res.headers['docker-content-digest'], layered.manifestDigest);
  t.is(res.headers['content-type'], MEDIA_TYPES.manifest);
  t.is(sha256(res.body), layered.manifestDigest);
  const manifest = JSON.parse(res.body.toString()) as OciManifest;
  t.is(manifest.mediaType, MEDIA_TYPES.manifest);
  t.is(manifest.config.digest, layered.configDigest);
  t.deepEqual(manifest.layers.map((l) => l.mediaType), Array(3).fill(MEDIA_TYPES.layer.gzip));
  t.deepEqual(manifest.layers.map((l) => l.digest), layered.layerDigests);

  // Also via fetch, by digest, the way a client re-checks it.
  const byDigest = await fetch(`${reg.url}/v2/layered/manifests/${layered.manifestDigest}`, {
    method: 'HEAD',
    headers: { Accept: ACCEPT },
  });
  t.is(byDigest.status, 200);
  t.is(byDigest.headers.get('docker-content-digest'), layered.manifestDigest);
});

test('layer blobs decompress to the diff_ids in the config', async (t) => {
  const reg = plain!;
  const cfg = await fetch(`${reg.url}/v2/layered/blobs/${layered.configDigest}`);
  t.is(cfg.status, 200);
  const config = JSON.parse(await cfg.text()) as { rootfs: { diff_ids: string[] }; config: { Cmd: string[]; Labels: Record<string, string> } };
  t.deepEqual(config.rootfs.diff_ids, layered.diffIds);
  t.deepEqual(config.config.Cmd, ['sh']);
  t.deepEqual(config.config.Labels, { 'skiff.test': 'layered' });

  const tars: Buffer[] = [];
  for (const [i, digest] of layered.layerDigests.entries()) {
    const res = await fetch(`${reg.url}/v2/layered/blobs/${digest}`);
    t.is(res.status, 200);
    const blob = Buffer.from(await res.arrayBuffer());
    t.is(sha256(blob), digest);
    const plainTar = await decompress(blob, compressionOf(MEDIA_TYPES.layer.gzip));
    t.is(sha256(plainTar), layered.diffIds[i]);
    tars.push(plainTar);
  }
  const top = await listTar(tars[2]!);
  const names = top.map((e) => e.name.replace(/\/$/, ''));
  t.true(names.includes('data/.wh.gone.txt'));
  t.true(names.indexOf('data/dir/.wh..wh..opq') > names.indexOf('data/dir'));
  t.true(names.includes('data/dir/new.txt'));
  t.true(top.some((e) => e.uid === 1000 && e.gid === 1000 && e.type === 'file'));
  const middle = (await listTar(tars[1]!)).map((e) => e.name.replace(/\/$/, ''));
  t.true(['data/keep.txt', 'data/gone.txt', 'data/dir/old.txt', 'etc/motd'].every((n) => middle.includes(n)));
  t.true((await listTar(tars[0]!)).some((e) => e.name === 'bin/busybox'));
});

test('the multi-arch index is served with its digest and both platforms', async (t) => {
  const reg = plain!;
  const res = await fetch(`${reg.url}/v2/multi/manifests/latest`, { headers: { Accept: ACCEPT } });
  t.is(res.status, 200);
  t.is(res.headers.get('docker-content-digest'), multi.indexDigest);
  t.is(res.headers.get('content-type'), MEDIA_TYPES.index);
  const body = Buffer.from(await res.arrayBuffer());
  t.is(sha256(body), multi.indexDigest);
  const index = JSON.parse(body.toString()) as OciIndex;
  t.deepEqual(
    index.manifests.map((m) => [m.platform?.os, m.platform?.architecture, m.platform?.variant, m.digest]),
    [
      ['linux', multi.platforms.foreign.architecture, multi.platforms.foreign.variant, multi.images.foreign.manifestDigest],
      ['linux', multi.platforms.host.architecture, undefined, multi.images.host.manifestDigest],
    ],
  );
  // --all pushed the children too.
  for (const arch of ['host', 'foreign'] as const) {
    const child = await fetch(`${reg.url}/v2/multi/manifests/${multi.images[arch].manifestDigest}`, {
      headers: { Accept: MEDIA_TYPES.manifest },
    });
    t.is(child.status, 200, arch);
    t.is(child.headers.get('docker-content-digest'), multi.images[arch].manifestDigest);
    t.is(child.headers.get('content-type'), MEDIA_TYPES.manifest);
    const layer = await fetch(`${reg.url}/v2/multi/blobs/${multi.images[arch].layerDigests[0]!}`, { method: 'HEAD' });
    t.is(layer.status, 200, arch);
  }
});

test('the TLS registry asks for credentials and accepts them', async (t) => {
  const reg = secure!;
  t.true(reg.tls);
  t.regex(reg.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.truthy(reg.caCertPath);
  t.is(reg.caCertPath, join(reg.certDir!, 'ca.crt'));

  const anonymous = await registryRequest(reg, '/v2/');
  t.is(anonymous.status, 401);
  t.regex(String(anonymous.headers['www-authenticate']), /^Basic realm="skiff-test"/);

  const wrong = await registryRequest(reg, '/v2/', { auth: { user: 'skiff', password: 'nope' } });
  t.is(wrong.status, 401);

  const ok = await registryRequest(reg, '/v2/', { auth: true });
  t.is(ok.status, 200);

  // The zstd image went in over TLS with --dest-cert-dir and --dest-creds.
  const m = await registryRequest(reg, '/v2/team/layered/manifests/zstd', { auth: true, headers: { Accept: ACCEPT } });
  t.is(m.status, 200, m.body.toString());
  t.is(m.headers['docker-content-digest'], zstdImage.manifestDigest);
  const manifest = JSON.parse(m.body.toString()) as OciManifest;
  t.deepEqual(manifest.layers.map((l) => l.mediaType), Array(3).fill(MEDIA_TYPES.layer.zstd));
  const top = await registryRequest(reg, `/v2/team/layered/blobs/${zstdImage.layerDigests[2]!}`, { auth: true });
  t.is(top.status, 200);
  t.is(sha256(await decompress(top.body, 'zstd')), zstdImage.diffIds[2]);
});

test('fixtures are reproducible', async (t) => {
  const again = await buildLayeredImage(join(work, 'layered-again'), { compression: 'gzip' });
  t.is(again.manifestDigest, layered.manifestDigest);
  const multiAgain = await buildMultiArchIndex(join(work, 'multi-again'));
  t.is(multiAgain.indexDigest, multi.indexDigest);
});
