// How run/create turn -u and the environment flags into the container's
// process, as podman does: USER[:GROUP] resolved against the image's
// /etc/passwd and /etc/group (topmost layer wins), and the environment
// merged as image Env < --env-file < -e, with `-e NAME` taking the caller's
// value and PATH defaulting to podman's when nobody sets it.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { callerEnv, mergeEnv, parseSecurityOpts, readEnvFiles, resolveUser } from '../../../src/engine/container/create.js';
import type { ContainerSpec } from '../../../src/runtime/spec/container-spec.js';
import { generateRuntimeSpec } from '../../../src/runtime/spec/generate.js';

let work: string;
test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skcreate-'));
});
test.after.always(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'user:x:1000:1000:User:/home/user:/bin/sh',
  'svc:x:1234:50:Service:/srv:/bin/false',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'daemon:x:1:', 'staff:x:50:svc', 'user:x:1000:', 'wheel:x:10:user', ''].join('\n');

let layerCount = 0;
/** A layer directory holding the given files (paths relative to the root). */
async function layer(files: Record<string, string>): Promise<string> {
  const dir = join(work, `layer-${++layerCount}`);
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), content);
  }
  return dir;
}

// --- -u USER[:GROUP] ---

const userCase = test.macro({
  async exec(t, spec: string, expected: { uid: number; gid: number }) {
    const layers = [await layer({ 'etc/passwd': PASSWD, 'etc/group': GROUP })];
    t.deepEqual(resolveUser(spec, layers), { ...expected, additionalGids: [] });
  },
  title: (provided, spec: string) => provided ?? `-u ${JSON.stringify(spec)}`,
});

test('no user: root', userCase, '', { uid: 0, gid: 0 });
test('a name: uid and primary gid from passwd', userCase, 'svc', { uid: 1234, gid: 50 });
test('a uid listed in passwd takes its primary gid', userCase, '1000', { uid: 1000, gid: 1000 });
test('a uid not in passwd runs with gid 0', userCase, '4321', { uid: 4321, gid: 0 });
test('name:group by names', userCase, 'user:wheel', { uid: 1000, gid: 10 });
test('uid:gid by numbers, neither in the files', userCase, '4321:4321', { uid: 4321, gid: 4321 });
test('name:gid', userCase, 'svc:7', { uid: 1234, gid: 7 });
test('uid:group name', userCase, '4321:staff', { uid: 4321, gid: 50 });

test('a user not in passwd is an error naming it', async (t) => {
  const layers = [await layer({ 'etc/passwd': PASSWD, 'etc/group': GROUP })];
  t.throws(() => resolveUser('nobody-here', layers), { message: 'unable to find user nobody-here: no matching entries in passwd file' });
});

test('a group not in /etc/group is an error naming it', async (t) => {
  const layers = [await layer({ 'etc/passwd': PASSWD, 'etc/group': GROUP })];
  t.throws(() => resolveUser('user:nogroup', layers), { message: 'unable to find group nogroup: no matching entries in group file' });
});

test('an image without /etc/passwd: names fail, numbers work', async (t) => {
  const layers = [await layer({ 'bin/true': '' })];
  t.throws(() => resolveUser('user', layers), { message: /unable to find user user/ });
  t.deepEqual(resolveUser('1000:1000', layers), { uid: 1000, gid: 1000, additionalGids: [] });
});

test('the topmost layer that has /etc/passwd wins', async (t) => {
  const lower = await layer({ 'etc/passwd': PASSWD, 'etc/group': GROUP });
  const upper = await layer({ 'etc/passwd': 'root:x:0:0::/root:/bin/sh\napp:x:2000:2000::/app:/bin/sh\n' });
  const layers = [lower, upper];
  t.deepEqual(resolveUser('app', layers), { uid: 2000, gid: 2000, additionalGids: [] });
  t.throws(() => resolveUser('svc', layers), { message: /unable to find user svc/ });
  // /etc/group is still the lower layer's.
  t.deepEqual(resolveUser('app:staff', layers), { uid: 2000, gid: 50, additionalGids: [] });
});

// --- environment ---

test('image Env < --env-file < -e, each later one winning', async (t) => {
  const file = join(work, 'env.list');
  await writeFile(file, '# comment\n\nB=from-file\nC=from-file\n');
  const env = mergeEnv(['A=image', 'B=image', 'C=image'], [...readEnvFiles([file]), 'C=from-flag'], {});
  t.deepEqual(new Map(env.map((e) => e.split(/=(.*)/s, 2) as [string, string])), new Map([
    ['A', 'image'],
    ['B', 'from-file'],
    ['C', 'from-flag'],
  ]));
});

test('-e NAME takes the caller\'s value, and is left out when the caller has none', (t) => {
  const env = mergeEnv(['KEEP=image', 'HOME=/root'], ['FROM_HOST', 'UNSET_ON_HOST', 'HOME'], { FROM_HOST: 'host value', HOME: '/home/me' });
  t.deepEqual(env.sort(), ['FROM_HOST=host value', 'HOME=/home/me', 'KEEP=image']);
});

test('a NAME line in an env file also takes the caller\'s value', async (t) => {
  const file = join(work, 'names.list');
  await writeFile(file, 'FROM_HOST\nX=1\n');
  t.deepEqual(mergeEnv([], readEnvFiles([file]), { FROM_HOST: 'yes' }).sort(), ['FROM_HOST=yes', 'X=1']);
});

test('values keep "=" and may be empty', (t) => {
  t.deepEqual(mergeEnv([], ['OPTS=a=b=c', 'EMPTY='], {}).sort(), ['EMPTY=', 'OPTS=a=b=c']);
});

test('-e with an empty name is refused', (t) => {
  t.throws(() => mergeEnv([], ['=value'], {}), { message: 'invalid environment variable "=value"' });
});

test('an env file that cannot be read is a clear error', (t) => {
  t.throws(() => readEnvFiles([join(work, 'missing.list')]), { message: /^cannot read env file ".*missing\.list": / });
});

test('several env files are read in order', async (t) => {
  const [one, two] = [join(work, 'one.list'), join(work, 'two.list')];
  await writeFile(one, 'A=1\nB=1\n');
  await writeFile(two, 'B=2\n');
  t.deepEqual(mergeEnv([], readEnvFiles([one, two]), {}).sort(), ['A=1', 'B=2']);
});

/** The env the container process gets for this merged env (the runtime spec adds the defaults). */
function processEnv(env: string[]): string[] {
  const spec: ContainerSpec = {
    id: 'a'.repeat(64), name: 'c', command: ['sh'], env, workingDir: '/', user: { uid: 0, gid: 0, additionalGids: [] },
    hostname: 'h', terminal: false, network: { mode: 'none' }, etcFiles: { hosts: '/h', resolvConf: '/r', hostname: '/n' },
    rootfs: '/rootfs', readOnlyRootfs: false, rootless: true, capAdd: [], capDrop: [], labels: {}, annotations: {},
  };
  return generateRuntimeSpec(spec).process?.env ?? [];
}

const PODMAN_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

test('PATH: podman\'s default when neither the image nor the user set it', (t) => {
  const env = processEnv(mergeEnv(['A=1'], [], {}));
  t.is(env.filter((e) => e.startsWith('PATH=')).length, 1);
  t.true(env.includes(PODMAN_PATH), env.join(' '));
});

test('PATH: the image\'s, then the user\'s, replaces the default', (t) => {
  const fromImage = processEnv(mergeEnv(['PATH=/image/bin'], [], {}));
  t.deepEqual(fromImage.filter((e) => e.startsWith('PATH=')), ['PATH=/image/bin']);
  const fromUser = processEnv(mergeEnv(['PATH=/image/bin'], ['PATH=/mine'], {}));
  t.deepEqual(fromUser.filter((e) => e.startsWith('PATH=')), ['PATH=/mine']);
});

test('parseSecurityOpts: no-new-privileges in podman\'s spellings, the last one wins; unsupported options are refused', (t) => {
  t.deepEqual(parseSecurityOpts([]), { noNewPrivileges: false });
  for (const v of ['no-new-privileges', 'no-new-privileges=true', 'no-new-privileges:true', 'no-new-privileges=1']) t.deepEqual(parseSecurityOpts([v]), { noNewPrivileges: true }, v);
  t.deepEqual(parseSecurityOpts(['no-new-privileges', 'no-new-privileges:false']), { noNewPrivileges: false });
  t.deepEqual(parseSecurityOpts(['label=disable', 'seccomp=unconfined', 'apparmor=unconfined', 'label:disable']), { noNewPrivileges: false });
  t.throws(() => parseSecurityOpts(['no-new-privileges=yes']), { message: 'parsing value of option no-new-privileges: strconv.ParseBool: parsing "yes": invalid syntax' });
  t.throws(() => parseSecurityOpts(['label=type:spc_t']), { message: /^unsupported --security-opt "label=type:spc_t"/ });
});

test('the caller\'s proxy variables go in unless --http-proxy=false; --env-host passes everything', (t) => {
  const caller = { http_proxy: 'http://127.0.0.1:3128', NO_PROXY: 'localhost', HOME: '/home/u', PATH: '/usr/bin' };
  t.deepEqual(callerEnv({}, caller), ['http_proxy=http://127.0.0.1:3128', 'NO_PROXY=localhost']);
  t.deepEqual(callerEnv({ httpProxy: false }, caller), []);
  t.deepEqual(callerEnv({ envHost: true, httpProxy: false }, caller), Object.entries(caller).map(([k, v]) => `${k}=${v}`));
  // Over the image's, under --env.
  t.deepEqual(mergeEnv(['http_proxy=image', 'A=1', ...callerEnv({}, caller)], ['A=2']), ['http_proxy=http://127.0.0.1:3128', 'A=2', 'NO_PROXY=localhost']);
});
