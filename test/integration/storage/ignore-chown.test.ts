// ignore_chown_errors (storage.conf, or --storage-opt overlay./vfs.): a
// layer file whose owner the user namespace does not map is stored owned by
// root instead of failing the whole image, as containers/storage does.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildImageOfLayers } from '../../fixtures/oci-image.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

// Beyond the 65536 ids mapped here (tar's 6-digit octal field caps it at 262143).
const UNMAPPED = 262_143;
let work: string;
let layout: string;
const envs: TestEnv[] = [];

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skchown-'));
  layout = join(work, 'layout');
  await buildImageOfLayers(layout, 'localhost/unmapped:latest', [[
    { name: 'far', type: 'file', content: 'far\n', uid: UNMAPPED, gid: UNMAPPED },
    { name: 'near', type: 'file', content: 'near\n', uid: 1000, gid: 1000 },
  ]]);
});

test.after.always(async () => {
  await Promise.all(envs.map((e) => e.cleanup()));
  if (work) await rm(work, { recursive: true, force: true });
});

async function fresh(): Promise<TestEnv> {
  const env = await newTestEnv();
  envs.push(env);
  return env;
}

test('without it, an unmapped owner fails the load, and nothing is stored', async (t) => {
  const env = await fresh();
  const r = await env.skiff(['load', '-q', '-i', layout], { exit: 125 });
  t.regex(r.stderr, /^Error: .*not mapped in the user namespace/m);
  t.deepEqual((await env.skiff(['images', '-q'])).lines, []);
});

test('--storage-opt overlay.ignore_chown_errors=true stores it owned by root; mapped owners are kept', async (t) => {
  const env = await fresh();
  const flags = ['--storage-driver', 'overlay', '--storage-opt', 'overlay.ignore_chown_errors=true'];
  await env.skiff([...flags, 'load', '-q', '-i', layout]);
  const r = await env.skiff([...flags, 'run', '--rm', '--network', 'none', 'localhost/unmapped', 'stat', '-c', '%n %u:%g', '/far', '/near']);
  t.deepEqual(r.lines, ['/far 0:0', '/near 1000:1000']);
});

test('storage.conf [storage.options.vfs] ignore_chown_errors does the same for vfs', async (t) => {
  const env = await fresh();
  const config = join(env.dir, 'config');
  await mkdir(join(config, 'containers'), { recursive: true });
  await writeFile(join(config, 'containers', 'storage.conf'), '[storage]\ndriver = "vfs"\n[storage.options.vfs]\nignore_chown_errors = "true"\n');
  const opts = { env: { XDG_CONFIG_HOME: config } };
  await env.skiff(['load', '-q', '-i', layout], opts);
  const r = await env.skiff(['run', '--rm', '--network', 'none', 'localhost/unmapped', 'stat', '-c', '%n %u:%g', '/far', '/near'], opts);
  t.deepEqual(r.lines, ['/far 0:0', '/near 1000:1000']);
  t.is((await env.skiff(['info', '--format', '{{index .Store.GraphOptions "vfs.ignore_chown_errors"}}'], opts)).stdout, 'true');
});
