// -v, --mount and --tmpfs parsed as podman 4.3 parses them, with its
// error messages (each checked against podman 4.3.1 on this machine).
import test from 'ava';
import { parseMountFlags, parseMount, parseVolume, runtimeMountOptions } from '../../../src/engine/container/mounts/parse.js';

test('-v forms: host path, relative host path, named, anonymous', (t) => {
  t.deepEqual(parseVolume('/srv/data:/data:ro,z'), { type: 'bind', source: '/srv/data', destination: '/data', options: ['ro', 'z'] });
  t.deepEqual(parseVolume('./dir:/d'), { type: 'bind', source: './dir', destination: '/d', options: [] });
  t.deepEqual(parseVolume('../up:/d/'), { type: 'bind', source: '../up', destination: '/d', options: [] });
  t.deepEqual(parseVolume('cache:/var/cache:nocopy,U'), { type: 'volume', name: 'cache', destination: '/var/cache', options: ['nocopy', 'U'] });
  t.deepEqual(parseVolume('/scratch'), { type: 'volume', destination: '/scratch', options: [] });
  t.deepEqual(parseVolume('/src:/o:O'), { type: 'overlay', source: '/src', destination: '/o', options: ['O'] });
  t.deepEqual(parseVolume('/src:/o:O,U'), { type: 'overlay', source: '/src', destination: '/o', options: ['O', 'U'] });
  // cached and delegated are macOS words docker accepts and ignores.
  t.deepEqual(parseVolume('/a:/b:cached'), { type: 'bind', source: '/a', destination: '/b', options: [] });
});

const errors: Array<[string, string]> = [
  ['/tmp:rel', 'invalid container path "rel", must be an absolute path'],
  ['/tmp:/x:foo', 'invalid option type "foo"'],
  ['/tmp:/x:ro,rw', `invalid options "ro, rw", can only specify 1 'rw' or 'ro' option`],
  ['a:b:c:d', 'a:b:c:d: incorrect volume format, should be [host-dir:]ctr-dir[:option]'],
  [':/x', 'host directory cannot be empty'],
  ['/tmp:/x:O,ro', "can't use 'O' with other options"],
  ['/tmp:/x:z,Z', `invalid options "z, Z", can only specify 1 'z', 'Z', or 'O' option`],
];
for (const [value, message] of errors) {
  test(`-v ${value} is refused as podman: ${message}`, (t) => {
    t.throws(() => parseVolume(value), { message, code: 'EINVALIDARG' } as never);
  });
}

test('--mount types and keys', (t) => {
  t.deepEqual(parseMount('type=bind,src=/a,dst=/b,readonly,bind-propagation=rshared,relabel=private'), { type: 'bind', source: '/a', destination: '/b', options: ['ro', 'rshared', 'Z'] });
  t.deepEqual(parseMount('type=bind,target=/b,ro=false'), { type: 'bind', source: '/b', destination: '/b', options: [] });
  t.deepEqual(parseMount('type=bind,source=/a,destination=/b,rw=false,chown=true'), { type: 'bind', source: '/a', destination: '/b', options: ['ro', 'U'] });
  t.deepEqual(parseMount('type=volume,source=v,target=/v,ro'), { type: 'volume', name: 'v', destination: '/v', options: ['ro'] });
  t.deepEqual(parseMount('type=volume,target=/v'), { type: 'volume', destination: '/v', options: [] });
  t.deepEqual(parseMount('type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=700'), { type: 'tmpfs', destination: '/t', options: ['size=1m', 'mode=700'] });
  t.deepEqual(parseMount('type=devpts,destination=/dev/pts2,mode=600'), { type: 'devpts', destination: '/dev/pts2', options: ['mode=600'] });
  t.deepEqual(parseMount('type=image,src=localhost/bb,dst=/img,rw=true'), { type: 'image', source: 'localhost/bb', destination: '/img', readWrite: true });
  // type= may come anywhere; a quoted field may hold a comma (encoding/csv).
  t.deepEqual(parseMount('dst=/b,"src=/a,b",type=bind'), { type: 'bind', source: '/a,b', destination: '/b', options: [] });
});

const mountErrors: Array<[string, string]> = [
  ['type=bind,src=/tmp', 'must set volume destination'],
  ['type=foo,dst=/x', 'invalid filesystem type "foo"'],
  ['src=/tmp,dst=/x', 'incorrect mount format: should be --mount type=<bind|tmpfs|volume>,[src=<host-dir|volume-name>,]target=<ctr-dir>[,options]'],
  ['type=bind,src=/tmp,dst=/x,bogus', 'bogus: invalid mount option'],
  ['type=tmpfs,dst=/x,src=/y', 'source is not supported with tmpfs mounts'],
  ['type=bind,src=/a,dst=/x,ro,rw', "cannot pass 'readonly', 'ro', or 'rw' options more than once: must provide an argument for option"],
  ['type=bind,src=,dst=/x', 'host directory cannot be empty: must provide an argument for option'],
  ['type=bind,src=/a,dst=/x,U=maybe', `'U' or 'chown' must be set to true or false, instead received "maybe": must provide an argument for option`],
  ['type=image,dst=/x', 'must set source and destination for image volume'],
  ['type=bind,src=/a,dst', 'dst: must provide an argument for option'],
];
for (const [value, message] of mountErrors) {
  test(`--mount ${value} is refused as podman: ${message}`, (t) => {
    t.throws(() => parseMount(value), { message } as never);
  });
}

test('duplicate destinations: the same mount twice is one, different ones are an error', (t) => {
  t.is(parseMountFlags({ volume: ['/a:/v', '/a:/v'] }).length, 1);
  t.is(parseMountFlags({ volume: ['vol1:/vol1', 'vol1:/vol1'] }).length, 1);
  t.is(parseMountFlags({ tmpfs: ['/t', '/t'] }).length, 1);
  t.throws(() => parseMountFlags({ volume: ['/a:/v', '/b:/v'] }), { message: '/v: duplicate mount destination' });
  t.throws(() => parseMountFlags({ volume: ['vol1:/vol1', 'vol2:/vol1'] }), { message: '/vol1: duplicate mount destination' });
  t.throws(() => parseMountFlags({ tmpfs: ['/t', '/t:ro'] }), { message: '/t: duplicate mount destination' });
  t.throws(() => parseMountFlags({ volume: ['v:/x'], tmpfs: ['/x'] }), { message: '/x: duplicate mount destination' });
  t.throws(() => parseMountFlags({ volume: ['/h:/x/'], mount: ['type=tmpfs,dst=/x'] }), { message: '/x: duplicate mount destination' });
  t.throws(() => parseMountFlags({ tmpfs: ['rel'] }), { message: 'invalid container path "rel", must be an absolute path' });
});

test('runtime options: podman defaults added, skiff-only words dropped', (t) => {
  t.deepEqual(runtimeMountOptions(['ro', 'z'], 'bind'), ['ro', 'rprivate', 'rbind']);
  t.deepEqual(runtimeMountOptions([], 'bind', ['nosuid', 'nodev']), ['rw', 'rprivate', 'nosuid', 'nodev', 'rbind']);
  t.deepEqual(runtimeMountOptions(['suid', 'bind', 'rshared', 'U', 'nocopy'], 'bind', ['nosuid']), ['suid', 'bind', 'rshared', 'rw']);
  t.deepEqual(runtimeMountOptions(['size=1m'], 'tmpfs', ['nosuid', 'nodev']), ['size=1m', 'rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup']);
});
