// `pull` of an image whose config blob parses as JSON but has the wrong
// shape (`null`, an array, a number, a null rootfs). The registry stores a
// config as an opaque blob, so only skiff can refuse it: one clear `Error:`
// line with exit 125, never a TypeError, and no image or layer stored.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
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



/** Pushes an image with one empty layer and `config` as its config blob. */
async function pushWithConfig(repo: string, config: string): Promise<string> {
  const layer = await uploadRawBlob(reg, repo, Buffer.alloc(1024), 'application/vnd.oci.image.layer.v1.tar');
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: await uploadRawBlob(reg, repo, Buffer.from(config), 'application/vnd.oci.image.config.v1+json'),
    layers: [layer],
  }));
  await putRawManifest(reg, repo, 'latest', manifest, 'application/vnd.oci.image.manifest.v1+json');
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
