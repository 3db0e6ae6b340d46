// Registry content that is consistent (every digest matches) but wrong
// inside: corrupt gzip and zstd streams, an unknown layer media type, a
// layer that does not match its diff id. Each must fail with one clear
// error, exit 125, and leave no image and no layer behind.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { hostOciArch } from '../../fixtures/oci-image.js';
import { putRawManifest, startRegistry, uploadRawBlob, type TestRegistry } from '../../helpers/registry.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
let reg: TestRegistry;

test.before(async () => {
  [env, reg] = await Promise.all([newTestEnv(), startRegistry()]);
});

test.after.always(async () => {
  await env?.cleanup();
  await reg?.stop();
});

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');


/** Pushes an image made of raw layer bytes with the given media types and diff ids. */
async function pushRaw(repo: string, layers: Array<{ bytes: Buffer; mediaType: string; diffId: string }>): Promise<string> {
  const layerDescs = [];
  for (const l of layers) layerDescs.push(await uploadRawBlob(reg, repo, l.bytes, l.mediaType));
  const config = Buffer.from(JSON.stringify({ architecture: hostOciArch(), os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: await uploadRawBlob(reg, repo, config, 'application/vnd.oci.image.config.v1+json'),
    layers: layerDescs,
  }));
  await putRawManifest(reg, repo, 'latest', manifest, 'application/vnd.oci.image.manifest.v1+json');
  return `${reg.host}/${repo}:latest`;
}

async function assertNothingStored(t: import('ava').ExecutionContext) {
  t.deepEqual((await env.skiff(['images', '-q'])).lines, []);
  const layers = await readdir(join(env.root, 'layers')).catch(() => [] as string[]);
  t.deepEqual(layers.filter((n) => /^[0-9a-f]{64}$/.test(n)), [], 'no layer left');
}

const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
/** Right magic bytes, then junk: passes the digest check, fails decompression. */
const junk = (magic: number[]) => Buffer.concat([Buffer.from(magic), Buffer.alloc(4096, 0x5a)]);

test.serial('a corrupt gzip layer', async (t) => {
  const ref = await pushRaw('gz', [{ bytes: junk([0x1f, 0x8b, 0x08, 0x00]), mediaType: GZIP, diffId: sha(Buffer.from('x')) }]);
  const r = await env.skiff(['pull', '--tls-verify=false', ref], { exit: 125 });
  t.regex(r.stderr, /^Error: .*(corrupt|incorrect header|invalid)/im);
  t.is(r.stderr.split('\n').filter((l) => l.startsWith('Error:')).length, 1);
  await assertNothingStored(t);
});

test.serial('a corrupt zstd layer', async (t) => {
  const ref = await pushRaw('zst', [{ bytes: junk([0x28, 0xb5, 0x2f, 0xfd]), mediaType: ZSTD, diffId: sha(Buffer.from('x')) }]);
  const r = await env.skiff(['pull', '--tls-verify=false', ref], { exit: 125 });
  t.regex(r.stderr, /^Error: /m);
  await assertNothingStored(t);
});

test.serial('an unknown layer media type', async (t) => {
  const tar = Buffer.alloc(1024); // an empty tar: two zero blocks
  const ref = await pushRaw('mt', [{ bytes: gzipSync(tar), mediaType: 'application/x-not-a-layer', diffId: sha(tar) }]);
  const r = await env.skiff(['pull', '--tls-verify=false', ref], { exit: 125 });
  t.regex(r.stderr, /^Error: unsupported layer media type "application\/x-not-a-layer"/m);
  await assertNothingStored(t);
});

test.serial('a layer whose content does not match its diff id', async (t) => {
  const tar = Buffer.alloc(1024);
  const ref = await pushRaw('diff', [{ bytes: gzipSync(tar), mediaType: GZIP, diffId: sha(Buffer.from('something else')) }]);
  const r = await env.skiff(['pull', '--tls-verify=false', ref], { exit: 125 });
  t.regex(r.stderr, /^Error: layer sha256:[0-9a-f]{64} has content sha256:[0-9a-f]{64}, but the image config says/m);
  await assertNothingStored(t);
});

// Last: the checks above look for layers where a good pull puts them, so
// they cannot pass just because the store moved its layers elsewhere.
test.serial('control: the same image with a good layer is stored where assertNothingStored looks', async (t) => {
  const tar = Buffer.alloc(1024); // an empty tar: two zero blocks
  const ref = await pushRaw('good', [{ bytes: gzipSync(tar), mediaType: GZIP, diffId: sha(tar) }]);
  await env.skiff(['pull', '-q', '--tls-verify=false', ref]);
  t.is((await env.skiff(['images', '-q'])).lines.length, 1);
  const layers = await readdir(join(env.root, 'layers'));
  t.is(layers.filter((n) => /^[0-9a-f]{64}$/.test(n)).length, 1, layers.join(' '));
});
