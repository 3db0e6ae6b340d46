// Hostile mounts: nothing a container or an image controls may reach host
// files outside what the user bound in. Symlinks in a volume resolve inside
// the container that follows them; an image VOLUME that is a link to / or
// ../../ is resolved inside the rootfs for copy-up; ro holds.
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildImageOfLayers } from '../../fixtures/oci-image.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
let work: string;
let secret: string;

test.before(async () => {
  env = await newTestEnv();
  work = await mkdtemp(join(tmpdir(), 'skhostile-'));
  // A host file the user can read but never bound into any container.
  secret = join(work, 'secret.txt');
  await writeFile(secret, 'host secret\n');
  const layout = join(work, 'layout');
  await buildImageOfLayers(layout, 'localhost/plain:latest', [[{ name: 'plain', type: 'file', content: 'p\n' }]]);
  await buildImageOfLayers(layout, 'localhost/vol-root-link:latest', [[{ name: 'evil', type: 'symlink', linkname: '/' }, { name: 'marker-in-image', type: 'file', content: 'm\n' }]], { volumes: ['/evil'] });
  await buildImageOfLayers(layout, 'localhost/vol-up-link:latest', [[{ name: 'up', type: 'symlink', linkname: '../../../../../../..' + work }, { name: 'marker-in-image', type: 'file', content: 'm\n' }]], { volumes: ['/up/layout'] });
  await env.skiff(['load', '-q', '-i', layout]);
});

test.after.always(async () => {
  await env?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

const run = (args: string[], opts: { exit?: number } = {}) => env.skiff(['run', '--rm', '--network', 'none', ...args], opts);
const volumeData = (name: string) => join(env.root, 'volumes', name, '_data');

test.serial('links a container leaves in a volume resolve inside the next container, never to the host', async (t) => {
  await run(['-v', 'trap:/v', 'localhost/plain', 'sh', '-c', `ln -s ${secret} /v/abs; ln -s ../../../../../../../..${secret} /v/rel; ln -s / /v/root`]);
  const r = await run(['-v', 'trap:/data', 'localhost/plain', 'sh', '-c', 'cat /data/abs /data/rel 2>&1; ls /data/root/']);
  t.notRegex(r.stdout, /host secret/);
  t.regex(r.stdout, /No such file or directory/);
  // /data/root is the container's own /.
  t.regex(r.stdout, /plain/);
  // Mounted again somewhere deeper: still the container's view.
  t.notRegex((await run(['-v', 'trap:/a/b/c', 'localhost/plain', 'sh', '-c', 'cat /a/b/c/rel 2>&1; true'])).stdout, /host secret/);
});

test.serial('writing to a ro mount fails in the container and changes nothing on the host', async (t) => {
  const dir = await mkdtemp(join(work, 'ro-'));
  await writeFile(join(dir, 'f'), 'original\n');
  const r = await run(['-v', `${dir}:/ro:ro`, 'localhost/plain', 'sh', '-c', 'echo changed >/ro/f; rm /ro/f; mkdir /ro/d; echo rc=$?'], { exit: 0 });
  t.regex(r.stderr + r.stdout, /Read-only file system/);
  t.is(await readFile(join(dir, 'f'), 'utf8'), 'original\n');
  t.deepEqual(await readdir(dir), ['f']);
});

test.serial('an image VOLUME that links to / is copied up from the rootfs, not from the host /', async (t) => {
  const before = new Set(await readdir(join(env.root, 'volumes')).catch(() => []));
  await run(['localhost/vol-root-link', 'true'], { exit: undefined as unknown as number }).catch(() => undefined);
  const id = (await env.skiff(['create', '--network', 'none', 'localhost/vol-root-link', 'true'])).stdout;
  await env.skiff(['start', '-a', id], { exit: undefined as unknown as number }).catch(() => undefined);
  const made = (await readdir(join(env.root, 'volumes'))).filter((n) => !before.has(n) && /^[0-9a-f]{64}$/.test(n));
  t.true(made.length >= 1);
  for (const name of made) {
    const content = await readdir(volumeData(name));
    // What the image has, never what only the host has (the image has no usr, var or the test's dir).
    for (const hostOnly of ['usr', 'var', 'run']) t.false(content.includes(hostOnly), `${hostOnly} in ${content.join(' ')}`);
  }
  await env.skiff(['rm', '-f', '-v', id]);
});

test.serial('an image VOLUME behind a ../ link is resolved inside the rootfs: the host directory it names is not copied', async (t) => {
  await mkdir(join(work, 'layout-marker'), { recursive: true });
  await symlink(secret, join(work, 'layout-marker', 'link')).catch(() => undefined);
  const before = new Set(await readdir(join(env.root, 'volumes')).catch(() => []));
  const id = (await env.skiff(['create', '--network', 'none', 'localhost/vol-up-link', 'true'])).stdout;
  await env.skiff(['start', '-a', id], { exit: undefined as unknown as number }).catch(() => undefined);
  const made = (await readdir(join(env.root, 'volumes'))).filter((n) => !before.has(n) && /^[0-9a-f]{64}$/.test(n));
  for (const name of made) {
    const content = await readdir(volumeData(name));
    // work/layout (the OCI layout on the host) has index.json and blobs: none may show up.
    t.false(content.includes('index.json'));
    t.false(content.includes('blobs'));
  }
  await env.skiff(['rm', '-f', '-v', id]);
});

test.serial('--volumes-from a missing container: 125, nothing made', async (t) => {
  const r = await env.skiff(['create', '--name', 'from-missing', '-v', 'notmade:/x', '--volumes-from', 'ghost', 'localhost/plain', 'true'], { exit: 125 });
  t.is(r.stderr, 'Error: looking up container "ghost" for volumes-from: no container with name or ID "ghost" found: no such container');
  t.false((await readdir(join(env.root, 'volumes')).catch(() => [] as string[])).includes('notmade'));
  await env.skiff(['container', 'exists', 'from-missing'], { exit: 1 });
});
