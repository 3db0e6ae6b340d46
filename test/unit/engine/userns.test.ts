// --userns, --uidmap and --gidmap: podman's maps and /etc/passwd entries, as pure functions.
import test from 'ava';
import { containerUserns, keepIdMappings, parseIdMaps, parseUsernsMode, passwdAdditions } from '../../../src/engine/container/userns.js';
import { mappingKey } from '../../../src/store/id-shift.js';
import { toInnerId, toOuterId } from '../../../src/userns/id-map.js';

test('keep-id maps as podman: ids below the user first, the user to 0, the rest after', (t) => {
  t.deepEqual(keepIdMappings(1000, 1000, 65536, 65536).uidMap, [
    { containerID: 0, hostID: 1, size: 1000 },
    { containerID: 1000, hostID: 0, size: 1 },
    { containerID: 1001, hostID: 1001, size: 64536 },
  ]);
  // uid=0: the user is root inside; nothing below it.
  t.deepEqual(keepIdMappings(0, 0, 65536, 65536).uidMap, [
    { containerID: 0, hostID: 0, size: 1 },
    { containerID: 1, hostID: 1, size: 65536 },
  ]);
  // An id past the range: the whole range below it, nothing after.
  t.deepEqual(keepIdMappings(70000, 5, 65536, 65536).uidMap, [
    { containerID: 0, hostID: 1, size: 65536 },
    { containerID: 70000, hostID: 0, size: 1 },
  ]);
});

test('container ids and ours convert both ways; unmapped ones are the overflow id', (t) => {
  const { uidMap } = keepIdMappings(1000, 1000, 65536, 65536);
  t.is(toOuterId(uidMap, 0), 1);
  t.is(toOuterId(uidMap, 999), 1000);
  t.is(toOuterId(uidMap, 1000), 0);
  t.is(toOuterId(uidMap, 1001), 1001);
  t.is(toOuterId(uidMap, 70000), 65534);
  for (const id of [0, 1, 999, 1000, 1001, 65536]) t.is(toInnerId(uidMap, toOuterId(uidMap, id)), id);
});

test('--userns values as podman parses them', (t) => {
  t.deepEqual(parseUsernsMode(''), { mode: 'host' });
  t.deepEqual(parseUsernsMode('host'), { mode: 'host' });
  t.deepEqual(parseUsernsMode('keep-id'), { mode: 'keep-id' });
  t.deepEqual(parseUsernsMode('keep-id:uid=5,gid=6'), { mode: 'keep-id', uid: 5, gid: 6 });
  t.throws(() => parseUsernsMode('keep-id:uid=-1'), { message: 'strconv.ParseUint: parsing "-1": invalid syntax' });
  t.throws(() => parseUsernsMode('keep-id:home=/x'), { message: 'unknown option specified: "home"' });
  t.throws(() => parseUsernsMode('private'), { message: /is not supported by skiff/ });
  t.throws(() => parseUsernsMode('sideways'), { message: 'unrecognized namespace mode sideways passed' });
});

test('--uidmap: ranges checked against skiff\'s namespace; the gid map follows it unless given', (t) => {
  const maps = parseIdMaps(['0:0:1', '1:1:100'], [], 65536, 65536);
  t.deepEqual(maps.gidMap, maps.uidMap);
  t.throws(() => parseIdMaps(['0:0:10', '5:20:10'], [], 65536, 65536), { message: 'invalid uidmap: container ranges overlap' });
  t.throws(() => parseIdMaps(['0:0:1'], ['0:1:10'], 65536, 65536), { message: /^--gidmap must map your own id/ });
  t.throws(() => parseIdMaps(['0:0:65538'], [], 65536, 65536), { message: /ids 0-65537 are not all mapped/ });
});

test('keep-id needs a subordinate range and a rootless engine', (t) => {
  const env = { rootless: true, uid: 1000, gid: 1000, maxUid: 65536, maxGid: 65536 };
  t.is(containerUserns({}, env), undefined);
  t.deepEqual(containerUserns({ userns: 'keep-id' }, env)?.keepId, { uid: 1000, gid: 1000, addCurrentUser: true });
  t.deepEqual(containerUserns({ userns: 'keep-id:uid=7' }, env)?.keepId, { uid: 7, gid: 1000, addCurrentUser: false });
  t.throws(() => containerUserns({ userns: 'keep-id' }, { ...env, maxGid: 0 }), { message: /requires additional UIDs or GIDs defined in \/etc\/subuid/ });
  t.throws(() => containerUserns({ userns: 'keep-id' }, { ...env, rootless: false }), { message: 'keep-id is only supported in rootless mode' });
});

test('passwd and group additions: only what the image lacks, appended', (t) => {
  const me = { name: 'alice', uid: 1000, gid: 1000, gecos: 'Alice', home: '/home/alice', groupName: 'alice' };
  const base = { passwd: 'root:x:0:0:root:/root:/bin/sh\n', group: 'root:x:0:\n' };
  t.deepEqual(passwdAdditions(base.passwd, base.group, { currentUser: me, userSpec: '1000:1000', gid: 1000, workdir: '/app' }), {
    passwd: `${base.passwd}alice:*:1000:1000:Alice:/app:/bin/sh\n`,
    group: `${base.group}alice:x:1000:alice\n`,
    home: '/app',
  });
  // The image has uid 1000 already: nothing for the user.
  t.deepEqual(passwdAdditions('node:x:1000:1000::/home/node:/bin/sh', 'node:x:1000:', { currentUser: me, userSpec: '1000:1000', gid: 1000, workdir: '/' }), { passwd: undefined, group: undefined, home: undefined });
  // A numeric user, and a name (nothing: the image must have it).
  t.deepEqual(passwdAdditions(base.passwd, base.group, { userSpec: '42:7', gid: 7, workdir: '/' }), {
    passwd: `${base.passwd}42:*:42:7:container user:/:/bin/sh\n`, group: `${base.group}7:x:7:42\n`, home: undefined,
  });
  t.deepEqual(passwdAdditions(base.passwd, base.group, { userSpec: 'root', gid: 0, workdir: '/' }), { passwd: undefined, group: undefined, home: undefined });
});

test('equal maps share one key, different ones do not', (t) => {
  t.is(mappingKey(keepIdMappings(1000, 1000, 65536, 65536)), mappingKey(keepIdMappings(1000, 1000, 65536, 65536)));
  t.not(mappingKey(keepIdMappings(1000, 1000, 65536, 65536)), mappingKey(keepIdMappings(1001, 1000, 65536, 65536)));
});

test('keep-id\'s HOME is the user\'s home when it, or a directory above it, is mounted in', (t) => {
  const me = { name: 'alice', uid: 1000, gid: 1000, gecos: '', home: '/home/alice', groupName: 'alice' };
  const home = (mounted: string[]) => passwdAdditions('', '', { currentUser: me, workdir: '/app', mountedAt: (dir) => mounted.includes(dir) }).home;
  t.is(home([]), '/app');
  t.is(home(['/home/alice']), '/home/alice');
  t.is(home(['/home']), '/home/alice');
  t.is(home(['/home/xalice', '/']), '/app');
});
