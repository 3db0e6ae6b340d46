// A store records the driver it was made with at its first use and
// refuses another with podman's message (exit 125, nothing changed); a call
// that names no driver uses the store's.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();
const MISMATCH = 'Error: database storage graph driver "vfs" does not match our storage graph driver "overlay": database configuration mismatch';

test.serial('a store made with vfs refuses overlay, from the flag or storage.conf, and changes nothing', async (t) => {
  await env.skiff(['--storage-driver', 'vfs', 'create', '--name', 'first', '--network', 'none', BUSYBOX_IMAGE, 'true']);
  const recorded = await readFile(join(env.root, 'storage-driver.json'), 'utf8');
  t.deepEqual(JSON.parse(recorded), { driver: 'vfs' });
  for (const args of [['info'], ['create', '--name', 'second', '--network', 'none', BUSYBOX_IMAGE, 'true'], ['run', '--rm', BUSYBOX_IMAGE, 'true'], ['ps', '-a']]) {
    const r = await env.skiff(['--storage-driver', 'overlay', ...args], { exit: 125 });
    t.is(r.stderr.split('\n')[0], MISMATCH, args.join(' '));
  }
  const config = join(env.dir, 'config');
  await mkdir(join(config, 'containers'), { recursive: true });
  await writeFile(join(config, 'containers', 'storage.conf'), '[storage]\ndriver = "overlay"\n');
  t.is((await env.skiff(['info'], { exit: 125, env: { XDG_CONFIG_HOME: config } })).stderr.split('\n')[0], MISMATCH);
  t.is(await readFile(join(env.root, 'storage-driver.json'), 'utf8'), recorded);
  t.deepEqual((await env.skiff(['ps', '-a', '--format', '{{.Names}}'])).lines, ['first']);
});

test.serial('a call that names no driver uses the one the store was made with', async (t) => {
  t.is((await env.skiff(['info', '--format', '{{.Store.GraphDriverName}}: {{.Store.GraphDriverReason}}'])).stdout, 'vfs: the driver this store was made with');
  await env.skiff(['create', '--name', 'third', '--network', 'none', BUSYBOX_IMAGE, 'true']);
  t.is((await env.skiff(['inspect', '--format', '{{.GraphDriver.Name}}', 'third'])).stdout, 'vfs');
  t.is((await env.skiff(['--storage-driver', 'vfs', 'start', '-a', 'third'])).exitCode, 0);
});
