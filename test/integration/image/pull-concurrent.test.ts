// Pull extracts each layer as soon as its blob is verified, while others
// still download, each into its own staging directory, and records the
// layers only once every one is extracted and checked. A bad upper layer,
// found after a large lower one was extracted, must fail the pull with one
// clear error and exit 125 and leave no layer recorded and no staging
// directory behind.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { hostOciArch, makeTar, type TarEntry } from '../../fixtures/oci-image.js';
import { putRawManifest, startRegistry, uploadRawBlob, type TestRegistry } from '../../helpers/registry.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
let reg: TestRegistry;
/** A lower layer large enough to go to a worker thread when layers extract in parallel. */
let big: { tar: Buffer; gz: Buffer };

test.before(async () => {
  [env, reg] = await Promise.all([newTestEnv(), startRegistry()]);
  const entries: TarEntry[] = [{ name: 'usr/', type: 'directory', mode: 0o755 }, { name: 'usr/share/', type: 'directory', mode: 0o755 }];
  for (let i = 0; i < 3000; i++) entries.push({ name: `usr/share/f${i}.txt`, type: 'file', content: `file ${i}\n`.repeat(20) });
  entries.push({ name: 'usr/random.bin', type: 'file', content: randomBytes(12 << 20) });
  const tar = await makeTar(entries);
  big = { tar, gz: gzipSync(tar, { level: 1 }) };
});

test.after.always(async () => {
  await env?.cleanup();
  await reg?.stop();
});

const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** Pushes an image of raw gzip layer bytes with the given diff ids. */
async function pushRaw(repo: string, layers: Array<{ bytes: Buffer; diffId: string }>): Promise<{ ref: string; digests: string[] }> {
  const descs = [];
  for (const l of layers) descs.push(await uploadRawBlob(reg, repo, l.bytes, GZIP));
  const config = Buffer.from(JSON.stringify({ architecture: hostOciArch(), os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: await uploadRawBlob(reg, repo, config, 'application/vnd.oci.image.config.v1+json'),
    layers: descs,
  }));
  await putRawManifest(reg, repo, 'latest', manifest, 'application/vnd.oci.image.manifest.v1+json');
  return { ref: `${reg.host}/${repo}:latest`, digests: descs.map((d) => d.digest) };
}

/** No image, no recorded layer, and no staging directory left in the layer store. */
async function assertCleanStore(t: import('ava').ExecutionContext) {
  t.deepEqual((await env.skiff(['images', '-q'])).lines, []);
  const entries = await readdir(join(env.root, 'layers')).catch(() => [] as string[]);
  t.deepEqual(entries.filter((n) => n !== 'layers.lock'), [], 'nothing in the layer store');
}

async function oneErrorLine(t: import('ava').ExecutionContext, ref: string, pattern: RegExp) {
  const r = await env.skiff(['pull', '--tls-verify=false', ref], { exit: 125 });
  t.regex(r.stderr, pattern);
  t.is(r.stderr.split('\n').filter((l) => l.startsWith('Error:')).length, 1, r.stderr);
}

test.serial('a corrupt second layer after a large first one: exit 125, no layer recorded, no staging left', async (t) => {
  const junk = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(4096, 0x5a)]);
  const { ref } = await pushRaw('corrupt-second', [{ bytes: big.gz, diffId: sha(big.tar) }, { bytes: junk, diffId: sha(Buffer.from('x')) }]);
  await oneErrorLine(t, ref, /^Error: .*(corrupt|incorrect header|invalid)/im);
  await assertCleanStore(t);
});

test.serial('a second layer that does not match its diff id: exit 125, no layer recorded', async (t) => {
  const small = gzipSync(Buffer.alloc(1024));
  const { ref } = await pushRaw('diffid-second', [{ bytes: big.gz, diffId: sha(big.tar) }, { bytes: small, diffId: sha(Buffer.from('other')) }]);
  await oneErrorLine(t, ref, /^Error: layer sha256:[0-9a-f]{64} has content sha256:[0-9a-f]{64}, but the image config says/m);
  await assertCleanStore(t);
});

test.serial('a second layer with an entry that climbs out is refused: exit 125, no layer recorded', async (t) => {
  const evil = await makeTar([{ name: '../../escaped.txt', type: 'file', content: 'out' }]);
  const { ref } = await pushRaw('escape-second', [{ bytes: big.gz, diffId: sha(big.tar) }, { bytes: gzipSync(evil), diffId: sha(evil) }]);
  await oneErrorLine(t, ref, /^Error: refusing layer entry "\.\.\/\.\.\/escaped\.txt": the path leaves the layer directory/m);
  await assertCleanStore(t);
  t.deepEqual((await readdir(env.root)).filter((n) => n.includes('escaped')), []);
});

test.serial('a second blob that fails its digest check: exit 125, no layer recorded', async (t) => {
  const small = await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/hostname', type: 'file', content: 'x\n' }]);
  const smallGz = gzipSync(small);
  const { ref, digests } = await pushRaw('digest-second', [{ bytes: big.gz, diffId: sha(big.tar) }, { bytes: smallGz, diffId: sha(small) }]);
  const hex = digests[1].slice('sha256:'.length);
  const data = join(reg.dir, 'storage', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  const bytes = await readFile(data);
  bytes[bytes.length - 1] ^= 0xff; // same length, other content
  await writeFile(data, bytes);
  await oneErrorLine(t, ref, /^Error: .*digest mismatch/im);
  await assertCleanStore(t);
});

// Last, and a control for the checks above: a good image lands in the layer
// store where assertCleanStore looks, its layers recorded with their parents.
test.serial('control: a good 3-layer image is recorded bottom first, each layer with its parent', async (t) => {
  const mid = await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/hostname', type: 'file', content: 'mid\n' }]);
  const top = await makeTar([{ name: 'etc/', type: 'directory' }, { name: 'etc/motd', type: 'file', content: 'top\n' }]);
  const { ref } = await pushRaw('good', [big, { tar: mid, gz: gzipSync(mid) }, { tar: top, gz: gzipSync(top) }].map((l) => ({ bytes: l.gz, diffId: sha(l.tar) })));
  await env.skiff(['pull', '-q', '--tls-verify=false', ref]);
  const dirs = (await readdir(join(env.root, 'layers'))).filter((n) => n !== 'layers.lock');
  t.is(dirs.length, 3, dirs.join(' '));
  const records = await Promise.all(dirs.map(async (d) => JSON.parse(await readFile(join(env.root, 'layers', d, 'layer.json'), 'utf8')) as { id: string; parent?: string; diffId: string }));
  const bottom = records.find((r) => !r.parent);
  t.is(bottom?.diffId, sha(big.tar));
  const second = records.find((r) => r.parent === bottom?.id);
  t.is(second?.diffId, sha(mid));
  const third = records.find((r) => r.parent === second?.id);
  t.is(third?.diffId, sha(top));
  t.is(await readFile(join(env.root, 'layers', third!.id, 'diff', 'etc', 'motd'), 'utf8'), 'top\n');
  t.is((await readdir(join(env.root, 'layers', bottom!.id, 'diff', 'usr', 'share'))).length, 3000);
});
