// `load` of archives whose JSON parses but has the wrong shape: `null`, a
// number, an array where an object belongs (or the reverse). Each must be one
// clear `Error:` line with exit 125, never a JavaScript TypeError ("Cannot
// read properties of null"), and must leave the store unchanged.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import tar from 'tar-stream';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();
let work: string;

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skjs-'));
});

test.after.always(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const sha = (b: string | Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

async function writeTar(path: string, members: Record<string, string | Buffer>): Promise<void> {
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(path));
  for (const [name, content] of Object.entries(members)) pack.entry({ name }, content);
  pack.finalize();
  await writing;
}

const EMPTY_LAYER = Buffer.alloc(1024);
const GOOD_CONFIG = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(EMPTY_LAYER)] } });

/** A docker-archive with the given manifest.json and config text. */
function dockerArchive(manifest: string, config = GOOD_CONFIG): Record<string, string | Buffer> {
  return { 'manifest.json': manifest, 'c.json': config, 'l.tar': EMPTY_LAYER };
}

/**
 * An oci-archive: `index` may use the placeholder MANIFEST for the manifest's
 * digest, and `manifest` the placeholders CONFIG and LAYER.
 */
function ociArchive(opts: { index?: string; manifest?: string; config?: string }): Record<string, string | Buffer> {
  const config = opts.config ?? GOOD_CONFIG;
  const manifest = (opts.manifest ?? JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: 'CONFIG', size: 1 },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: 'LAYER', size: EMPTY_LAYER.length }],
  })).replace('CONFIG', sha(config)).replace('LAYER', sha(EMPTY_LAYER));
  const index = (opts.index ?? JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'MANIFEST', size: manifest.length }],
  })).replace('MANIFEST', sha(manifest));
  return {
    'oci-layout': '{"imageLayoutVersion":"1.0.0"}',
    'index.json': index,
    [`blobs/sha256/${sha(manifest).slice(7)}`]: manifest,
    [`blobs/sha256/${sha(config).slice(7)}`]: config,
    [`blobs/sha256/${sha(EMPTY_LAYER).slice(7)}`]: EMPTY_LAYER,
  };
}

const CASES: Array<[string, Record<string, string | Buffer>]> = [
  ['docker manifest.json is null', dockerArchive('null')],
  ['docker manifest.json is a number', dockerArchive('42')],
  ['docker manifest.json is an object', dockerArchive('{"Config":"c.json","Layers":["l.tar"]}')],
  ['docker manifest.json entry is null', dockerArchive('[null]')],
  ['docker manifest.json entry is an array', dockerArchive('[["c.json"]]')],
  ['docker RepoTags is a string', dockerArchive('[{"Config":"c.json","Layers":["l.tar"],"RepoTags":"localhost/x:1"}]')],
  ['docker Layers holds null', dockerArchive('[{"Config":"c.json","Layers":[null]}]')],
  ['docker config is null', dockerArchive('[{"Config":"c.json","Layers":["l.tar"]}]', 'null')],
  ['docker config is an array', dockerArchive('[{"Config":"c.json","Layers":[]}]', '[]')],
  ['docker config rootfs is null', dockerArchive('[{"Config":"c.json","Layers":["l.tar"]}]', '{"rootfs":null}')],
  ['docker config diff_ids is a string', dockerArchive('[{"Config":"c.json","Layers":["l.tar"]}]', '{"rootfs":{"type":"layers","diff_ids":"sha256:x"}}')],
  ['oci index.json is null', ociArchive({ index: 'null' })],
  ['oci index.json is an array', ociArchive({ index: '[]' })],
  ['oci index.json manifests holds null', ociArchive({ index: '{"schemaVersion":2,"manifests":[null]}' })],
  ['oci index.json manifests holds a number', ociArchive({ index: '{"schemaVersion":2,"manifests":[5]}' })],
  ['oci index.json annotations is a string', ociArchive({ index: '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"MANIFEST","size":1,"annotations":"x"}]}' })],
  ['oci manifest is null', ociArchive({ manifest: 'null' })],
  ['oci manifest layers holds null', ociArchive({ manifest: '{"schemaVersion":2,"config":{"digest":"CONFIG","size":1},"layers":[null]}' })],
  ['oci manifest config is a string', ociArchive({ manifest: '{"schemaVersion":2,"config":"CONFIG","layers":[]}' })],
  ['docker config Env is a string', dockerArchive('[{"Config":"c.json","Layers":["l.tar"]}]', GOOD_CONFIG.replace('"rootfs"', '"config":{"Env":"PATH=/bin"},"rootfs"'))],
  ['oci config Cmd holds a number', ociArchive({ config: GOOD_CONFIG.replace('"rootfs"', '"config":{"Cmd":["sh",1]},"rootfs"') })],
  ['oci config is null', ociArchive({ config: 'null' })],
  ['oci config is a number', ociArchive({ config: '7' })],
];

const imageIds = async () => (await env.skiff(['images', '-q', '--no-trunc'])).lines.sort();
const list = async (dir: string) => (await readdir(join(env.root, dir)).catch(() => [] as string[])).sort();

for (const [title, members] of CASES) {
  test.serial(`load refuses an archive whose JSON has the wrong shape: ${title}`, async (t) => {
    const path = join(work, `${title.replace(/\W+/g, '-')}.tar`);
    await writeTar(path, members);
    const before = { ids: await imageIds(), blobs: await list('blobs/sha256'), layers: await list('layers') };
    const r = await env.skiff(['load', '-i', path], { exit: 125 });
    t.regex(r.stderr, /^Error: \S/);
    t.is(r.stderr.trim().split('\n').length, 1, 'one line');
    t.notRegex(r.stderr, /Cannot read|is not a function|is not iterable|undefined|TypeError/);
    t.regex(r.stderr, /in the archive/);
    t.deepEqual(await imageIds(), before.ids);
    t.deepEqual(await list('blobs/sha256'), before.blobs);
    t.deepEqual((await list('layers')).filter((n) => !n.endsWith('.lock')), before.layers.filter((n) => !n.endsWith('.lock')));
    t.deepEqual(await list('tmp'), []);
  });
}
