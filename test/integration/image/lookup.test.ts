// Finding a local image by what a user types: a digest reference after a
// pull by digest (once "image not known"), and the repository given to
// `skiff images` (once an empty listing for a tagged image).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildLayeredImage, type BuiltImage } from '../../fixtures/oci-image.js';
import { startRegistry, pushOciLayout, type TestRegistry } from '../../helpers/registry.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
let registry: TestRegistry;
let image: BuiltImage;
let fixtures: string;

test.before(async () => {
  env = await newTestEnv();
  fixtures = await mkdtemp(join(tmpdir(), 'skf-'));
  registry = await startRegistry();
  image = await buildLayeredImage(join(fixtures, 'layered'));
  await pushOciLayout(registry, image.dir, 'lookup/layered:v1');
});

test.after.always(async () => {
  await env?.cleanup();
  await registry?.stop();
  if (fixtures) await rm(fixtures, { recursive: true, force: true });
});

const hex = (digest: string) => digest.replace(/^sha256:/, '');

test.serial('an image pulled by digest is found by that digest reference', async (t) => {
  const ref = `${registry.host}/lookup/layered@${image.manifestDigest}`;
  await env.skiff(['pull', '-q', '--tls-verify=false', ref]);
  const r = await env.skiff(['image', 'inspect', '--format', '{{.Id}} {{.Digest}}', ref]);
  t.is(r.stdout, `${hex(image.configDigest)} ${image.manifestDigest}`);
  const digests = await env.skiff(['image', 'inspect', '--format', '{{json .RepoDigests}} {{json .RepoTags}}', ref]);
  t.is(digests.stdout, `["${ref}"] []`);
  const listed = await env.skiff(['images', '--format', '{{.Repository}} {{.Tag}}', `${registry.host}/lookup/layered`]);
  t.deepEqual(listed.lines, [`${registry.host}/lookup/layered <none>`]);
  await env.skiff(['image', 'exists', ref]);
  // Another repository with the same digest is not that image, as podman.
  await env.skiff(['image', 'inspect', `${registry.host}/other/layered@${image.manifestDigest}`], { exit: 125 });
});

test.serial('an image pulled by tag is found by REPOSITORY@DIGEST too', async (t) => {
  await env.skiff(['pull', '-q', '--tls-verify=false', `${registry.host}/lookup/layered:v1`]);
  const r = await env.skiff(['image', 'inspect', '--format', '{{.Id}}', `${registry.host}/lookup/layered@${image.manifestDigest}`]);
  t.is(r.stdout, hex(image.configDigest));
  const short = await env.skiff(['image', 'inspect', '--format', '{{.Id}}', `lookup/layered@${image.manifestDigest}`]);
  t.is(short.stdout, hex(image.configDigest));
});

test.serial('images REPOSITORY lists a tagged image by its repository, short or full, with or without tag', async (t) => {
  await env.skiff(['pull', '-q', '--tls-verify=false', `${registry.host}/lookup/layered:v1`]);
  const want = `${registry.host}/lookup/layered v1`;
  for (const arg of [`${registry.host}/lookup/layered`, 'lookup/layered', 'layered', `${registry.host}/lookup/layered:v1`, 'layered:v1']) {
    const r = await env.skiff(['images', '--format', '{{.Repository}} {{.Tag}}', arg]);
    t.true(r.lines.includes(want), `skiff images ${arg}: ${r.stdout}`);
  }
  const none = await env.skiff(['images', '--format', '{{.Repository}} {{.Tag}}', 'layered:v2']);
  t.deepEqual(none.lines, []);
  const other = await env.skiff(['images', '--format', '{{.Repository}} {{.Tag}}', 'ered']);
  t.deepEqual(other.lines, []);
});
