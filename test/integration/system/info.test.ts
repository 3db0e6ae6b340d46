// skiff info and the image commands: rootless facts, storage driver, OCI
// runtime, and listing/inspecting the imported image.
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();

test.serial('info: rootless is true', async (t) => {
  const r = await env.skiff(['info', '--format', '{{.Host.Security.Rootless}}']);
  t.is(r.stdout, 'true');
});

test.serial('info: graph driver is overlay or vfs', async (t) => {
  const r = await env.skiff(['info', '--format', '{{.Store.GraphDriverName}}']);
  t.true(['overlay', 'vfs'].includes(r.stdout), r.stdout);
});

test.serial('info: OCI runtime is crun or runc', async (t) => {
  const r = await env.skiff(['info', '--format', '{{.Host.OCIRuntime.Name}}']);
  t.true(['crun', 'runc'].includes(r.stdout), r.stdout);
});

test.serial('info --format json parses; OCIRuntime.Notes is an array', async (t) => {
  const r = await env.skiff(['info', '--format', 'json']);
  const info = JSON.parse(r.stdout) as { Host: { OCIRuntime: { Name: string; Notes: unknown } } };
  t.true(['crun', 'runc'].includes(info.Host.OCIRuntime.Name));
  t.true(Array.isArray(info.Host.OCIRuntime.Notes), JSON.stringify(info.Host.OCIRuntime));
  // podman's preference: crun when it is installed and works; otherwise a note says why not.
  if (info.Host.OCIRuntime.Name === 'runc') {
    t.true((info.Host.OCIRuntime.Notes as string[]).some((n) => n.startsWith('crun: ')), JSON.stringify(info.Host.OCIRuntime));
  }
});

test.serial('images -q lists the imported id', async (t) => {
  const r = await env.skiff(['images', '-q']);
  t.deepEqual(r.lines, [env.imageId.slice(0, 12)]);
});

test.serial('images --format shows localhost/bb:latest', async (t) => {
  const r = await env.skiff(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  t.deepEqual(r.lines, [`${BUSYBOX_IMAGE}:latest`]);
});

test.serial('image inspect and inspect of the image have its Id', async (t) => {
  for (const cmd of [['image', 'inspect'], ['inspect']]) {
    const r = await env.skiff([...cmd, BUSYBOX_IMAGE]);
    const parsed = JSON.parse(r.stdout) as Array<{ Id: string }>;
    t.true(Array.isArray(parsed), r.stdout);
    t.is(parsed[0]?.Id.replace(/^sha256:/, ''), env.imageId);
    const f = await env.skiff([...cmd, '--format', '{{.Id}}', BUSYBOX_IMAGE]);
    t.is(f.stdout.replace(/^sha256:/, ''), env.imageId);
  }
});

test.serial('import of a missing file exits 125', async (t) => {
  const r = await env.skiff(['import', join(env.dir, 'no-such.tar'), 'localhost/missing'], { exit: 125 });
  t.regex(r.stderr, /^Error: /m);
  const images = await env.skiff(['images', '-q']);
  t.deepEqual(images.lines, [env.imageId.slice(0, 12)]);
});

test.serial('import of a file that is no tar archive exits 125 and stores nothing', async (t) => {
  const blobsBefore = await readdir(join(env.root, 'blobs', 'sha256'));
  const garbage = join(env.dir, 'garbage.tar');
  await writeFile(garbage, 'this is not a tar archive\n'.repeat(40));
  const r = await env.skiff(['import', garbage, 'localhost/garbage'], { exit: 125 });
  t.regex(r.stderr, /^Error: ".*garbage\.tar" is not a valid tar archive/m);
  t.deepEqual(await readdir(join(env.root, 'blobs', 'sha256')), blobsBefore);
  t.deepEqual((await env.skiff(['images', '-q'])).lines, [env.imageId.slice(0, 12)]);
});
