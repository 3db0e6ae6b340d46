// Local image management: tag, untag, image exists, history, rmi (with its
// podman exit codes 1 and 2), image prune, and no blobs or layers left behind.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE, buildBusyboxTar } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();
const list = async (dir: string) => readdir(join(env.root, dir)).catch(() => [] as string[]);

test.serial('tag adds names (short ones under localhost/), untag removes them', async (t) => {
  await env.skiff(['tag', BUSYBOX_IMAGE, 'bb:v1', '127.0.0.1:5000/team/bb:v2']);
  const names = (await env.skiff(['images', '--format', '{{.Repository}}:{{.Tag}}'])).lines;
  t.true(names.includes('localhost/bb:v1'));
  t.true(names.includes('127.0.0.1:5000/team/bb:v2'));
  await env.skiff(['untag', BUSYBOX_IMAGE, '127.0.0.1:5000/team/bb:v2']);
  t.false((await env.skiff(['images', '--format', '{{.Repository}}:{{.Tag}}'])).lines.includes('127.0.0.1:5000/team/bb:v2'));
});

test.serial('image exists exits 0 or 1 and prints nothing', async (t) => {
  t.is((await env.skiff(['image', 'exists', 'bb:v1'])).stdout, '');
  await env.skiff(['image', 'exists', 'localhost/nope'], { exit: 1 });
});

test.serial('history shows how the image was made', async (t) => {
  const r = await env.skiff(['history', '--format', '{{.ID}} {{.CreatedBy}}', BUSYBOX_IMAGE]);
  t.is(r.lines.length, 1);
  t.is(r.lines[0], `${env.imageId.slice(0, 12)} skiff import`);
});

test.serial('rmi of one of several names only untags', async (t) => {
  const r = await env.skiff(['rmi', 'bb:v1']);
  t.regex(r.stdout, /^Untagged: localhost\/bb:v1$/m);
  t.notRegex(r.stdout, /Deleted/);
  await env.skiff(['image', 'exists', BUSYBOX_IMAGE]);
});

test.serial('rmi refuses an image a container uses (exit 2); -f removes both; a missing image exits 1', async (t) => {
  await env.skiff(['create', '--name', 'uses-bb', '--network', 'none', BUSYBOX_IMAGE, 'true']);
  const refused = await env.skiff(['rmi', BUSYBOX_IMAGE], { exit: 2 });
  t.regex(refused.stderr, /^Error: image used by [0-9a-f]{64}: image is in use by a container/m);
  await env.skiff(['image', 'exists', BUSYBOX_IMAGE]);
  // Where the emptiness is checked below, the image's layer and blobs are now.
  t.true((await list('layers')).some((n) => /^[0-9a-f]{64}$/.test(n)));
  t.true((await list(join('blobs', 'sha256'))).length > 0);

  const forced = await env.skiff(['rmi', '-f', BUSYBOX_IMAGE]);
  t.regex(forced.stdout, new RegExp(`^Deleted: ${env.imageId}$`, 'm'));
  t.deepEqual((await env.skiff(['ps', '-aq'])).lines, []);
  t.deepEqual(await list('layers').then((l) => l.filter((n) => !n.startsWith('.') && !n.endsWith('.lock'))), []);
  t.deepEqual(await list(join('blobs', 'sha256')), []);

  const missing = await env.skiff(['rmi', BUSYBOX_IMAGE], { exit: 1 });
  t.regex(missing.stderr, /image not known/);
});

test.serial('image prune removes dangling images only; -a also unused named ones', async (t) => {
  const tar = await buildBusyboxTar();
  const named = (await env.skiff(['import', tar, 'localhost/keep'])).stdout.trim().replace(/^sha256:/, '');
  await env.skiff(['untag', 'localhost/keep']);
  const dangling = (await env.skiff(['images', '-q', '--no-trunc'])).lines;
  t.deepEqual(dangling, [`sha256:${named}`]);
  t.deepEqual((await env.skiff(['image', 'prune', '-f'])).lines, [named]);
  t.deepEqual((await env.skiff(['images', '-q'])).lines, []);

  await env.skiff(['import', tar, 'localhost/again']);
  t.deepEqual((await env.skiff(['image', 'prune', '-f'])).lines, [], 'a named image is not dangling');
  t.is((await env.skiff(['image', 'prune', '-af'])).lines.length, 1);
  t.deepEqual((await env.skiff(['images', '-q'])).lines, []);
});
