// `skiff images` flags: --filter (dangling, reference, label, before, since),
// --digests, --sort, -a; and RepoDigests of `image inspect` after a pull
// (a plain-http registry on 127.0.0.1, registries.conf pinned to an empty file).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildBusyboxTar } from '../../fixtures/busybox.js';
import { buildLayeredImage, type BuiltImage } from '../../fixtures/oci-image.js';
import { startRegistry, pushOciLayout, type TestRegistry } from '../../helpers/registry.js';
import { newTestEnv, sleep, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
let reg: TestRegistry;
let layered: BuiltImage;
let fixtures: string;
let registriesConf: string;
const id = { bb: '', app: '', dangling: '', layered: '' };

test.before(async () => {
  env = await newTestEnv();
  fixtures = await mkdtemp(join(tmpdir(), 'skf-'));
  registriesConf = join(fixtures, 'registries.conf');
  await writeFile(registriesConf, '');
  reg = await startRegistry();
  layered = await buildLayeredImage(join(fixtures, 'layered'));
  await pushOciLayout(reg, layered.dir, 'layered:latest');
  const tar = await buildBusyboxTar();
  const hex = (s: string) => s.trim().replace(/^sha256:/, '');
  // Oldest first (the layered image says it was created in 2024).
  id.layered = hex((await env.skiff(['pull', '-q', '--tls-verify=false', `${reg.host}/layered:latest`], { env: { CONTAINERS_REGISTRIES_CONF: registriesConf } })).stdout);
  id.bb = hex((await env.skiff(['import', '-q', tar, 'localhost/bb'])).stdout);
  await sleep(20);
  id.app = hex((await env.skiff(['import', '-q', '-c', 'LABEL tier=base', '-c', 'LABEL maintainer=me', tar, 'localhost/app:v1'])).stdout);
  await env.skiff(['tag', 'localhost/app:v1', 'localhost/app:v2']);
  await sleep(20);
  id.dangling = hex((await env.skiff(['import', '-q', '-c', 'LABEL maintainer=other', tar])).stdout);
});

test.after.always(async () => {
  await env?.cleanup();
  await reg?.stop();
  if (fixtures) await rm(fixtures, { recursive: true, force: true });
});

const names = async (...args: string[]) => (await env.skiff(['images', '--format', '{{.Repository}}:{{.Tag}}', ...args])).lines;
const ids = async (...args: string[]) => (await env.skiff(['images', '-q', '--no-trunc', ...args])).lines.map((l) => l.replace(/^sha256:/, ''));

test('the default listing is newest first, one row per name; -a is the same', async (t) => {
  const all = await names();
  t.deepEqual(all, ['<none>:<none>', 'localhost/app:v1', 'localhost/app:v2', 'localhost/bb:latest', `${reg.host}/layered:latest`]);
  t.deepEqual(await names('-a'), all);
  t.deepEqual(await ids(), [id.dangling, id.app, id.bb, id.layered]);
});

test('--filter dangling', async (t) => {
  t.deepEqual(await ids('--filter', 'dangling=true'), [id.dangling]);
  t.deepEqual(await ids('--filter', 'dangling=false'), [id.app, id.bb, id.layered]);
});

test('--filter reference: names, short names and globs; an image shows all its names', async (t) => {
  t.deepEqual(await names('--filter', 'reference=localhost/app'), ['localhost/app:v1', 'localhost/app:v2']);
  t.deepEqual(await names('--filter', 'reference=*/app:v2'), ['localhost/app:v1', 'localhost/app:v2']);
  t.deepEqual(await names('--filter', 'reference=bb'), ['localhost/bb:latest']);
  t.deepEqual(await names('--filter', 'reference=localhost/*'), ['localhost/app:v1', 'localhost/app:v2', 'localhost/bb:latest']);
  t.deepEqual(await names('--filter', 'reference=layered:*', '-f', 'reference=bb'), ['localhost/bb:latest', `${reg.host}/layered:latest`]);
  t.deepEqual(await names('--filter', 'reference=nothing*'), []);
});

test('--filter label, before, since; different filters all apply', async (t) => {
  t.deepEqual(await ids('--filter', 'label=maintainer'), [id.dangling, id.app]);
  t.deepEqual(await ids('--filter', 'label=maintainer=me'), [id.app]);
  t.deepEqual(await ids('--filter', 'label=tier=base', '--filter', 'label=maintainer=other'), []);
  t.deepEqual(await ids('--filter', 'before=localhost/app:v1'), [id.bb, id.layered]);
  t.deepEqual(await ids('--filter', 'since=bb'), [id.dangling, id.app]);
  t.deepEqual(await ids('--filter', 'since=layered', '--filter', `before=${id.app.slice(0, 12)}`), [id.bb]);
  t.deepEqual(await ids('--filter', 'label=maintainer', '--filter', 'dangling=false'), [id.app]);
});

test('bad filters are errors (125)', async (t) => {
  const unknown = await env.skiff(['images', '--filter', 'x=1'], { exit: 125 });
  t.regex(unknown.stderr, /Error: invalid image filter "x"/);
  const noValue = await env.skiff(['images', '--filter', 'label'], { exit: 125 });
  t.regex(noValue.stderr, /Error: invalid image filter "label"/);
  const dangling = await env.skiff(['images', '--filter', 'dangling=maybe'], { exit: 125 });
  t.regex(dangling.stderr, /Error: invalid image filter "dangling=maybe"/);
  const missing = await env.skiff(['images', '--filter', 'before=nope'], { exit: 125 });
  t.regex(missing.stderr, /Error: nope: image not known/);
});

test('--sort', async (t) => {
  t.deepEqual(await names('--sort', 'repository'), [`${reg.host}/layered:latest`, '<none>:<none>', 'localhost/app:v1', 'localhost/app:v2', 'localhost/bb:latest']);
  t.deepEqual(await names('--sort', 'tag'), ['<none>:<none>', 'localhost/bb:latest', `${reg.host}/layered:latest`, 'localhost/app:v1', 'localhost/app:v2']);
  t.deepEqual(await ids('--sort', 'id'), [id.dangling, id.app, id.bb, id.layered].sort());
  t.deepEqual(await ids('--sort', 'created'), [id.dangling, id.app, id.bb, id.layered]);
  const bad = await env.skiff(['images', '--sort', 'name'], { exit: 125 });
  t.regex(bad.stderr, /invalid argument "name" for --sort/);
});

test('--digests adds a DIGEST column after TAG', async (t) => {
  const r = await env.skiff(['images', '--digests', '--filter', 'reference=layered']);
  const [header, row] = r.lines;
  t.regex(header, /^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$/);
  t.regex(row, new RegExp(`^${reg.host.replace(/\./g, '\\.')}/layered\\s+latest\\s+${layered.manifestDigest}\\s+${id.layered.slice(0, 12)}\\s`));
  const plain = await env.skiff(['images']);
  t.notRegex(plain.lines[0], /DIGEST/);
});

test('image inspect and images --format json: RepoDigests are REPOSITORY@MANIFEST-DIGEST', async (t) => {
  const pulled = await env.skiff(['image', 'inspect', '--format', '{{json .RepoDigests}}', `${reg.host}/layered:latest`]);
  t.deepEqual(JSON.parse(pulled.stdout), [`${reg.host}/layered@${layered.manifestDigest}`]);
  const digest = (await env.skiff(['image', 'inspect', '--format', '{{.Digest}}', 'localhost/app:v1'])).stdout.trim();
  const app = await env.skiff(['image', 'inspect', '--format', '{{json .RepoDigests}}', 'localhost/app:v1']);
  t.deepEqual(JSON.parse(app.stdout), [`localhost/app@${digest}`], 'two tags, one repository');
  const json = JSON.parse((await env.skiff(['images', '--format', 'json', '--filter', 'reference=layered'])).stdout) as Array<{ RepoDigests: string[] }>;
  t.deepEqual(json.map((i) => i.RepoDigests), [[`${reg.host}/layered@${layered.manifestDigest}`]]);
});
