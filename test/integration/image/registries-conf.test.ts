// registries.conf drives `skiff pull`: short names through the
// unqualified-search registries, `insecure` registries without
// --tls-verify=false, `blocked` registries refused, and mirrors tried before
// the registry. Every registry is Debian's docker-registry on 127.0.0.1 and
// every skiff call gets CONTAINERS_REGISTRIES_CONF pointing at a file written
// here, so the host's registries.conf (and any outside address) never matter.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildLayeredImage, type BuiltImage } from '../../fixtures/oci-image.js';
import { startRegistry, pushOciLayout, type TestRegistry } from '../../helpers/registry.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let main: TestRegistry;
let mirror: TestRegistry;
let layered: BuiltImage;
let fixtures: string;

test.before(async () => {
  fixtures = await mkdtemp(join(tmpdir(), 'skf-'));
  [main, mirror] = await Promise.all([startRegistry(), startRegistry()]);
  layered = await buildLayeredImage(join(fixtures, 'layered'));
  await Promise.all([
    pushOciLayout(main, layered.dir, 'layered:latest'),
    // Only on the mirror: reachable through the main registry's name alone.
    pushOciLayout(mirror, layered.dir, 'mirrored/layered:v1'),
  ]);
});

test.after.always(async () => {
  await Promise.all([main?.stop(), mirror?.stop()]);
  if (fixtures) await rm(fixtures, { recursive: true, force: true });
});

const hex = (digest: string) => digest.replace(/^sha256:/, '');

/** A fresh store and a registries.conf with this content; skiff() runs with both. */
async function withConf(t: { teardown(fn: () => Promise<void>): void }, conf: string) {
  const env: TestEnv = await newTestEnv();
  const file = join(env.dir, 'registries.conf');
  await writeFile(file, conf);
  t.teardown(() => env.cleanup());
  return {
    env,
    file,
    skiff: (args: string[], opts: { exit?: number } = {}) => env.skiff(args, { ...opts, env: { CONTAINERS_REGISTRIES_CONF: file } }),
  };
}

test('a short name resolves through unqualified-search-registries; insecure = true allows plain http', async (t) => {
  const { skiff } = await withConf(t, `
unqualified-search-registries = ["${main.host}"]

[[registry]]
location = "${main.host}"
insecure = true
`);
  const r = await skiff(['pull', 'layered']);
  t.is(r.stdout.trim(), hex(layered.configDigest));
  t.regex(r.stderr, new RegExp(`Trying to pull ${main.host.replace(/\./g, '\\.')}/layered:latest\\.\\.\\.`));
  const names = await skiff(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  t.deepEqual(names.lines, [`${main.host}/layered:latest`]);
  const digests = await skiff(['image', 'inspect', '--format', '{{json .RepoDigests}}', 'layered']);
  t.deepEqual(JSON.parse(digests.stdout), [`${main.host}/layered@${layered.manifestDigest}`]);
  // The short name finds the pulled image locally too.
  const run = await skiff(['run', '--rm', '--network', 'none', 'layered', 'cat', '/data/keep.txt']);
  t.regex(run.stdout, /kept from layer 2/);
});

test('a short name tries each search registry in order: the first that has it wins', async (t) => {
  const { skiff } = await withConf(t, `
unqualified-search-registries = ["${mirror.host}", "${main.host}"]

[[registry]]
location = "${mirror.host}"
insecure = true

[[registry]]
location = "${main.host}"
insecure = true
`);
  const r = await skiff(['pull', '-q', 'layered']);
  t.is(r.stdout.trim(), hex(layered.configDigest));
  const names = await skiff(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  t.deepEqual(names.lines, [`${main.host}/layered:latest`]);
  // Nowhere: one error per registry tried.
  const none = await skiff(['pull', 'nothing-here'], { exit: 125 });
  t.regex(none.stderr, /2 errors occurred while pulling/);
  t.regex(none.stderr, new RegExp(`${mirror.host.replace(/\./g, '\\.')}/nothing-here:latest: .*manifest unknown`));
});

test('without search registries a short name is refused, naming the file', async (t) => {
  const { skiff, file } = await withConf(t, `[[registry]]\nlocation = "${main.host}"\ninsecure = true\n`);
  const r = await skiff(['pull', 'layered'], { exit: 125 });
  t.regex(r.stderr, /short-name "layered" did not resolve to an alias and no unqualified-search registries are defined/);
  t.true(r.stderr.includes(file));
});

test('an insecure registry still verifies TLS when --tls-verify is given', async (t) => {
  const { skiff } = await withConf(t, `[[registry]]\nlocation = "${main.host}"\ninsecure = true\n`);
  const r = await skiff(['pull', '--tls-verify=true', `${main.host}/layered:latest`], { exit: 125 });
  t.regex(r.stderr, /Error: /);
  t.notRegex(r.stderr, /Writing manifest/);
});

test('without registries.conf entries a plain-http registry needs --tls-verify=false', async (t) => {
  const { skiff } = await withConf(t, '');
  await skiff(['pull', `${main.host}/layered:latest`], { exit: 125 });
  const ok = await skiff(['pull', '-q', '--tls-verify=false', `${main.host}/layered:latest`]);
  t.is(ok.stdout.trim(), hex(layered.configDigest));
});

test('a blocked registry is refused', async (t) => {
  const { skiff, env } = await withConf(t, `
unqualified-search-registries = ["${main.host}"]

[[registry]]
location = "${main.host}"
insecure = true
blocked = true
`);
  const full = await skiff(['pull', `${main.host}/layered:latest`], { exit: 125 });
  t.true(full.stderr.includes(`Error: registry ${main.host} is blocked in registries.conf`), full.stderr);
  const short = await skiff(['pull', '--tls-verify=false', 'layered'], { exit: 125 });
  t.true(short.stderr.includes(`registry ${main.host} is blocked in registries.conf`), short.stderr);
  t.deepEqual((await env.skiff(['images', '-q'])).lines, []);
});

test('mirrors are tried first: an image only on the mirror is pulled under the main name', async (t) => {
  // The main registry's prefix "MAIN/mirrored" maps to the mirror; the
  // main registry itself does not have mirrored/layered.
  const { skiff } = await withConf(t, `
[[registry]]
location = "${main.host}"
insecure = true

[[registry.mirror]]
location = "127.0.0.1:1"
insecure = true

[[registry.mirror]]
location = "${mirror.host}"
insecure = true
`);
  const ref = `${main.host}/mirrored/layered:v1`;
  const r = await skiff(['pull', ref]);
  t.is(r.stdout.trim(), hex(layered.configDigest));
  const names = await skiff(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  t.deepEqual(names.lines, [ref]);
  const inspect = await skiff(['image', 'inspect', '--format', '{{json .RepoDigests}}', ref]);
  t.deepEqual(JSON.parse(inspect.stdout), [`${main.host}/mirrored/layered@${layered.manifestDigest}`]);
  // Not anywhere: the registry's error, with the mirrors' after it.
  const missing = await skiff(['pull', `${main.host}/mirrored/absent:v1`], { exit: 125 });
  t.regex(missing.stderr, /manifest unknown.*mirrors also failed/s);
});

test('a malformed registries.conf is an error naming the file', async (t) => {
  const { skiff, file } = await withConf(t, 'unqualified-search-registries = [\n');
  const r = await skiff(['pull', `${main.host}/layered:latest`], { exit: 125 });
  t.true(r.stderr.includes(`Error: loading registries configuration "${file}": invalid TOML`), r.stderr);
});
