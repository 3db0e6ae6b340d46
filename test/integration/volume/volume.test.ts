// The `volume` commands as podman 4.3's: create (names, labels, -o, --ignore),
// ls (columns, --filter, --format, -q), inspect (podman's JSON keys), exists,
// rm (exit 1 for a missing volume, 2 for one in use; -f removes its users)
// and prune (only volumes no container uses).
import test from 'ava';
import { stat } from 'node:fs/promises';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { subIdRanges } from '../../helpers/subid.js';
import { recordVolumeUse } from './helpers.js';

const env = useBusyboxEnv();

const volumeNames = async () => (await env.skiff(['volume', 'ls', '-q'])).lines;

test.serial('volume create: a name, a random 64-hex name, podman errors for a bad or taken name, --ignore', async (t) => {
  t.is((await env.skiff(['volume', 'create', 'cr1'])).stdout, 'cr1');
  const taken = await env.skiff(['volume', 'create', 'cr1'], { exit: 125 });
  t.is(taken.stderr, 'Error: volume with name cr1 already exists: volume already exists');
  t.is((await env.skiff(['volume', 'create', '--ignore', 'cr1'])).stdout, 'cr1');
  const bad = await env.skiff(['volume', 'create', 'bad/name'], { exit: 125 });
  t.is(bad.stderr, 'Error: running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument');
  const opt = await env.skiff(['volume', 'create', '-o', 'foo=bar', 'cr2'], { exit: 125 });
  t.is(opt.stderr, "Error: invalid mount option foo for driver 'local': invalid argument");
  const bind = await env.skiff(['volume', 'create', '-o', 'type=bind', '-o', 'device=/bogus', 'cr2'], { exit: 125 });
  t.is(bind.stderr, "Error: invalid volume option device for driver 'local': stat /bogus: no such file or directory");
  const driver = await env.skiff(['volume', 'create', '--driver', 'nfs', 'cr2'], { exit: 125 });
  t.regex(driver.stderr, /^Error: volume cr2 uses volume plugin nfs but it could not be retrieved/);
  t.false((await volumeNames()).includes('cr2'), 'nothing made by a refused create');
  const anonymous = (await env.skiff(['volume', 'create'])).stdout;
  t.regex(anonymous, /^[0-9a-f]{64}$/);
  const info = await stat(`${env.root}/volumes/cr1/_data`);
  t.true(info.isDirectory());
  t.is(info.uid, process.getuid!(), 'a plain volume belongs to root of the namespace: the user');
  await env.skiff(['volume', 'create', '-o', 'uid=1000', '-o', 'gid=1000', 'cr3']);
  const owned = await stat(`${env.root}/volumes/cr3/_data`);
  // Inside, uid 1 is the first subordinate id: 1000 is start + 999.
  t.is(owned.uid, (await subIdRanges('uid'))[0].start + 999);
  t.is(owned.gid, (await subIdRanges('gid'))[0].start + 999);
  await env.skiff(['volume', 'rm', 'cr1', 'cr3', anonymous]);
});

test.serial("volume inspect: podman 4.3's document; -a; --format; a missing volume is exit 125 after the others", async (t) => {
  await env.skiff(['volume', 'create', '-l', 'b=2', '-l', 'a=1', '-l', 'flag', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=nodev', 'in1']);
  const [doc] = JSON.parse((await env.skiff(['volume', 'inspect', 'in1'])).stdout) as Array<Record<string, unknown>>;
  t.deepEqual(Object.keys(doc), ['Name', 'Driver', 'Mountpoint', 'CreatedAt', 'Labels', 'Scope', 'Options', 'MountCount', 'NeedsCopyUp', 'NeedsChown']);
  t.like(doc, { Name: 'in1', Driver: 'local', Mountpoint: `${env.root}/volumes/in1/_data`, Scope: 'local', MountCount: 0, NeedsCopyUp: true, NeedsChown: true });
  t.deepEqual(Object.entries(doc.Labels as object), [['a', '1'], ['b', '2'], ['flag', '']]);
  t.deepEqual(doc.Options, { device: 'tmpfs', o: 'nodev', type: 'tmpfs' });
  t.regex(String(doc.CreatedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  t.is((await env.skiff(['volume', 'inspect', '--format', '{{.Name}} {{.Labels.a}} {{.Mountpoint}}', 'in1'])).stdout, `in1 1 ${env.root}/volumes/in1/_data`);
  const missing = await env.skiff(['volume', 'inspect', 'in1', 'nosuch'], { exit: 125 });
  t.is(missing.stderr, 'Error: inspecting object: no such volume nosuch');
  t.is((JSON.parse(missing.stdout) as unknown[]).length, 1);
  await env.skiff(['volume', 'create', 'in2']);
  const all = JSON.parse((await env.skiff(['volume', 'inspect', '-a'])).stdout) as Array<{ Name: string }>;
  t.deepEqual(all.map((v) => v.Name), ['in1', 'in2']);
  await env.skiff(['volume', 'rm', 'in1', 'in2']);
});

test.serial('volume ls: DRIVER and VOLUME NAME; -q, --format, json; filters name, label, label!, opt, driver, dangling, until; a bad filter', async (t) => {
  await env.skiff(['volume', 'create', '-l', 'app=web', 'ls-web']);
  await env.skiff(['volume', 'create', '-l', 'app=db', '-o', 'uid=1000', 'ls-db']);
  await env.skiff(['volume', 'create', 'ls-plain']);
  const id = (await env.skiff(['create', BUSYBOX_IMAGE, 'true'])).stdout;
  await recordVolumeUse(env, id, 'ls-db');
  const table = await env.skiff(['volume', 'ls']);
  t.regex(table.lines[0], /^DRIVER\s+VOLUME NAME$/);
  t.true(table.lines.slice(1).every((l) => /^local\s+ls-/.test(l)), table.stdout);
  const q = (args: string[]) => env.skiff(['volume', 'ls', '-q', ...args]).then((r) => r.lines);
  t.deepEqual(await q([]), ['ls-db', 'ls-plain', 'ls-web']);
  t.deepEqual(await q(['--filter', 'name=web']), ['ls-web']);
  t.deepEqual(await q(['--filter', 'label=app']), ['ls-db', 'ls-web']);
  t.deepEqual(await q(['--filter', 'label=app=db']), ['ls-db']);
  t.deepEqual(await q(['--filter', 'label!=app']), ['ls-plain']);
  t.deepEqual(await q(['--filter', 'opt=uid=1000']), ['ls-db']);
  t.deepEqual(await q(['--filter', 'driver=local']), ['ls-db', 'ls-plain', 'ls-web']);
  t.deepEqual(await q(['--filter', 'dangling=true']), ['ls-plain', 'ls-web']);
  t.deepEqual(await q(['--filter', 'dangling=false']), ['ls-db']);
  t.deepEqual(await q(['--filter', 'until=2000-01-01T00:00:00Z']), []);
  t.deepEqual(await q(['--filter', 'until=0s']), ['ls-db', 'ls-plain', 'ls-web']);
  t.is((await env.skiff(['volume', 'ls', '--format', '{{.Name}}:{{.Driver}}:{{.Labels}}', '--filter', 'name=web'])).stdout, 'ls-web:local:map[app:web]');
  const json = JSON.parse((await env.skiff(['volume', 'ls', '--format', 'json', '--filter', 'name=web'])).stdout) as Array<Record<string, unknown>>;
  t.like(json[0], { Name: 'ls-web', Driver: 'local', Scope: 'local', Labels: { app: 'web' } });
  const bad = await env.skiff(['volume', 'ls', '--filter', 'bogus=1'], { exit: 125 });
  t.is(bad.stderr, 'Error: "bogus" is an invalid volume filter');
  await env.skiff(['rm', id]);
  await env.skiff(['volume', 'rm', '-a']);
  t.deepEqual(await volumeNames(), []);
});

test.serial('volume exists: exit 0 or 1, no output', async (t) => {
  await env.skiff(['volume', 'create', 'ex1']);
  t.is((await env.skiff(['volume', 'exists', 'ex1'])).stdout, '');
  await env.skiff(['volume', 'exists', 'nosuch'], { exit: 1 });
  await env.skiff(['volume', 'exists', 'bad/name'], { exit: 1 });
  await env.skiff(['volume', 'rm', 'ex1']);
});

test.serial('volume rm: a missing volume is exit 1; one a container uses is exit 2 with podman\'s message; -f removes the container; -a skips used ones', async (t) => {
  await env.skiff(['volume', 'create', 'rm-used']);
  await env.skiff(['volume', 'create', 'rm-free']);
  const id = (await env.skiff(['create', '--name', 'rm-user', BUSYBOX_IMAGE, 'true'])).stdout;
  await recordVolumeUse(env, id, 'rm-used');
  const missing = await env.skiff(['volume', 'rm', 'nosuch'], { exit: 1 });
  t.is(missing.stderr, 'Error: no volume with name "nosuch" found: no such volume');
  const forced = await env.skiff(['volume', 'rm', '--force', 'nosuch']);
  t.deepEqual([forced.stdout, forced.stderr], ['', ''], 'with --force a missing volume is no error, as podman');
  const used = await env.skiff(['volume', 'rm', 'rm-used'], { exit: 2 });
  t.is(used.stderr, `Error: volume rm-used is being used by the following container(s): ${id}: volume is being used`);
  const both = await env.skiff(['volume', 'rm', 'rm-used', 'nosuch'], { exit: 2 });
  t.is(both.stdout, '');
  t.deepEqual(await volumeNames(), ['rm-free', 'rm-used']);
  // -a leaves the used one (it is no error either).
  t.deepEqual((await env.skiff(['volume', 'rm', '-a'])).lines, ['rm-free']);
  t.deepEqual(await volumeNames(), ['rm-used']);
  await env.skiff(['volume', 'rm'], { exit: 125 });
  t.is((await env.skiff(['volume', 'rm', '-f', 'rm-used'])).stdout, 'rm-used');
  t.deepEqual(await volumeNames(), []);
  t.deepEqual((await env.skiff(['ps', '-aq'])).lines, [], 'the container using it went with it');
});

test.serial('volume rm removes data that a container wrote as another id of the namespace', async (t) => {
  await env.skiff(['volume', 'create', 'rm-owned']);
  const mountpoint = (await env.skiff(['volume', 'inspect', '--format', '{{.Mountpoint}}', 'rm-owned'])).stdout;
  // A directory of uid 1000 inside (a sub-id outside) that the user cannot enter.
  await env.skiff(['unshare', 'sh', '-c', `mkdir -m 700 ${mountpoint}/d && touch ${mountpoint}/d/f && chown -R 1000:1000 ${mountpoint}/d`]);
  await env.skiff(['volume', 'rm', 'rm-owned']);
  t.deepEqual(await volumeNames(), []);
  t.false(await stat(mountpoint).then(() => true, () => false));
});

test.serial('volume prune: asks without -f; removes only volumes no container uses; --filter label', async (t) => {
  await env.skiff(['volume', 'create', 'pr-used']);
  await env.skiff(['volume', 'create', '-l', 'keep', 'pr-keep']);
  await env.skiff(['volume', 'create', 'pr-free']);
  const id = (await env.skiff(['create', BUSYBOX_IMAGE, 'true'])).stdout;
  await recordVolumeUse(env, id, 'pr-used');
  const asked = await env.skiff(['volume', 'prune'], { stdin: 'y\n' });
  t.deepEqual(asked.lines, ['WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:', 'pr-free', 'pr-keep']);
  t.deepEqual(await volumeNames(), ['pr-free', 'pr-keep', 'pr-used'], 'no terminal to answer on, nothing removed');
  t.deepEqual((await env.skiff(['volume', 'prune', '-f', '--filter', 'label!=keep'])).lines, ['pr-free']);
  t.deepEqual((await env.skiff(['volume', 'prune', '-f'])).lines, ['pr-keep']);
  t.deepEqual(await volumeNames(), ['pr-used']);
  const bad = await env.skiff(['volume', 'prune', '-f', '--filter', 'dangling=true'], { exit: 125 });
  t.is(bad.stderr, 'Error: "dangling" is an invalid volume filter');
  await env.skiff(['rm', id]);
  t.deepEqual((await env.skiff(['volume', 'prune', '-f'])).lines, ['pr-used']);
});
