// `pull` of an image whose config blob parses as JSON but has the wrong
// shape (`null`, an array, a number, a null rootfs). The registry stores a
// config as an opaque blob, so only skiff can refuse it: one clear `Error:`
// line with exit 125, never a TypeError, and no image or layer stored.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { startRegistry, type TestRegistry } from '../../helpers/registry.js';
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

function http(method: string, url: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'Content-Length': String(body?.length ?? 0), ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function uploadBlob(repo: string, bytes: Buffer, mediaType: string) {
  const start = await http('POST', `${reg.url}/v2/${repo}/blobs/uploads/`);
  const location = new URL(start.location!, reg.url);
  location.searchParams.set('digest', sha(bytes));
  const put = await http('PUT', location.href, bytes, { 'Content-Type': 'application/octet-stream' });
  if (put.status !== 201) throw new Error(`blob upload failed: ${put.status}`);
  return { mediaType, digest: sha(bytes), size: bytes.length };
}

/** Pushes an image with one empty layer and `config` as its config blob. */
async function pushWithConfig(repo: string, config: string): Promise<string> {
  const layer = await uploadBlob(repo, Buffer.alloc(1024), 'application/vnd.oci.image.layer.v1.tar');
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: await uploadBlob(repo, Buffer.from(config), 'application/vnd.oci.image.config.v1+json'),
    layers: [layer],
  }));
  const put = await http('PUT', `${reg.url}/v2/${repo}/manifests/latest`, manifest, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
  if (put.status !== 201) throw new Error(`manifest upload failed: ${put.status}`);
  return `${reg.host}/${repo}:latest`;
}

for (const [repo, config] of [['null', 'null'], ['array', '[]'], ['number', '7'], ['rootfs', '{"rootfs":null}'], ['diffids', '{"rootfs":{"type":"layers","diff_ids":[null]}}']]) {
  test.serial(`pull refuses an image config that is ${config}`, async (t) => {
    const ref = await pushWithConfig(`cfg-${repo}`, config);
    const r = await env.skiff(['pull', '-q', '--tls-verify=false', ref], { exit: 125 });
    t.regex(r.stderr, /^Error: the image config is malformed: /);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.notRegex(r.stderr, /Cannot read|undefined|is not a function|TypeError/);
    t.deepEqual((await env.skiff(['images', '-q'])).lines, []);
    const layers = await readdir(join(env.root, 'layers')).catch(() => [] as string[]);
    t.deepEqual(layers.filter((n) => !n.endsWith('.lock')), []);
  });
}
