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

test.serial('info --format json parses; ociRuntime.notes is an array', async (t) => {
  const r = await env.skiff(['info', '--format', 'json']);
  const info = JSON.parse(r.stdout) as { host: { ociRuntime: { name: string; notes: unknown } } };
  t.true(['crun', 'runc'].includes(info.host.ociRuntime.name));
  t.true(Array.isArray(info.host.ociRuntime.notes), JSON.stringify(info.host.ociRuntime));
  // podman's preference: crun when it is installed and works; otherwise a note says why not.
  if (info.host.ociRuntime.name === 'runc') {
    t.true((info.host.ociRuntime.notes as string[]).some((n) => n.startsWith('crun: ')), JSON.stringify(info.host.ociRuntime));
  }
});

// podman's JSON uses its json tags, its templates the Go field names (the
// JSON once carried the Go names: "Host", "Store").
test.serial('info --format json has podman\'s keys; templates take the Go field names', async (t) => {
  const r = await env.skiff(['info', '--format', 'json']);
  const info = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
  t.deepEqual(Object.keys(info), ['host', 'store', 'version']);
  const host = info.host as { security: { rootless: boolean }; idMappings: { uidmap: Array<{ container_id: number; host_id: number; size: number }> }; cgroupVersion: string; cpus: number; os: string };
  t.is(host.security.rootless, true);
  t.is(host.idMappings.uidmap[0].container_id, 0);
  t.is(host.os, 'linux');
  t.true(host.cpus > 0);
  t.true(['v1', 'v2'].includes(host.cgroupVersion));
  const store = info.store as { graphRoot: string; runRoot: string; graphDriverName: string; imageStore: { number: number }; containerStore: { number: number } };
  t.is(store.graphRoot, env.root);
  t.is(store.runRoot, env.runroot);
  t.is(store.imageStore.number, 1);
  t.is(typeof store.containerStore.number, 'number');
  t.is((info.version as { Version: string }).Version.length > 0, true);
  for (const key of ['Host', 'Store', 'OCIRuntime', 'GraphRoot', 'IDMappings']) t.false(r.stdout.includes(`"${key}"`), key);

  const tpl = await env.skiff(['info', '--format',
    '{{.Host.Security.Rootless}} {{.Store.GraphRoot}} {{.Host.CgroupsVersion}} {{(index .Host.IDMappings.UIDMap 0).HostID}} {{.Store.ImageStore.Number}} {{.Host.OS}} {{.Version.Version}}']);
  t.is(tpl.stdout, `true ${env.root} ${host.cgroupVersion} ${host.idMappings.uidmap[0].host_id} 1 linux ${(info.version as { Version: string }).Version}`);
  const sub = await env.skiff(['info', '--format', '{{json .Host.Security}}']);
  t.deepEqual(Object.keys(JSON.parse(sub.stdout) as object).sort(), ['apparmorEnabled', 'rootless', 'seccompEnabled', 'selinuxEnabled']);
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
