// registries.conf's `insecure` and `blocked` apply to push and login as they
// do to pull (containers/image checks them for every registry client): an
// insecure registry is reached over plain http without --tls-verify=false, a
// blocked one is refused with nothing sent and nothing stored. Registries are
// Debian's docker-registry on 127.0.0.1; every call gets its own
// CONTAINERS_REGISTRIES_CONF and auth file.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { registryRequest, startRegistry, type TestRegistry } from '../../helpers/registry.js';

const env = useBusyboxEnv();
let plain: TestRegistry;
let authed: TestRegistry;
const AUTH = { user: 'bob', password: 'pl41n-http' };

test.before(async () => {
  [plain, authed] = await Promise.all([startRegistry(), startRegistry({ auth: AUTH })]);
});

test.after.always(async () => {
  await Promise.all([plain?.stop(), authed?.stop()]);
});

let confs = 0;
/** skiff with a registries.conf of this content and a private auth file. */
async function withConf(conf: string) {
  const file = join(env.dir, `registries-${++confs}.conf`);
  await writeFile(file, conf);
  const authfile = join(env.dir, `auth-${confs}.json`);
  const vars = { CONTAINERS_REGISTRIES_CONF: file, REGISTRY_AUTH_FILE: authfile };
  return {
    authfile,
    skiff: (args: string[], opts: { exit?: number; stdin?: string } = {}) => env.skiff(args, { ...opts, env: vars }),
  };
}

const entry = (reg: TestRegistry, extra: string) => `[[registry]]\nlocation = "${reg.host}"\n${extra}\n`;

test.serial('push to a registry marked insecure uses plain http without --tls-verify=false', async (t) => {
  const { skiff } = await withConf(entry(plain, 'insecure = true'));
  await skiff(['push', '-q', BUSYBOX_IMAGE, `${plain.host}/conf/bb:insecure`]);
  t.is((await registryRequest(plain, '/v2/conf/bb/manifests/insecure', { method: 'HEAD', headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } })).status, 200);
  // --tls-verify=true still insists on https.
  await skiff(['push', '-q', '--tls-verify=true', BUSYBOX_IMAGE, `${plain.host}/conf/bb:verified`], { exit: 125 });
  // Without the entry, plain http needs the flag (as before).
  const none = await withConf('');
  await none.skiff(['push', '-q', BUSYBOX_IMAGE, `${plain.host}/conf/bb:noentry`], { exit: 125 });
});

test.serial('login to a registry marked insecure works over plain http without --tls-verify=false', async (t) => {
  const { skiff, authfile } = await withConf(entry(authed, 'insecure = true'));
  const r = await skiff(['login', '-u', AUTH.user, '--password-stdin', authed.host], { stdin: `${AUTH.password}\n` });
  t.is(r.stdout, 'Login Succeeded!');
  const stored = JSON.parse(await readFile(authfile, 'utf8')) as { auths: Record<string, { auth: string }> };
  t.is(Buffer.from(stored.auths[authed.host]!.auth, 'base64').toString(), `${AUTH.user}:${AUTH.password}`);
  // With the stored credentials and no username, login checks them against the insecure registry too.
  const again = await skiff(['login', authed.host]);
  t.regex(again.stdout, /Already logged in/);
});

test.serial('push and login to a blocked registry are refused, with nothing pushed or stored', async (t) => {
  const { skiff, authfile } = await withConf(entry(authed, 'insecure = true\nblocked = true'));
  const blocked = `Error: registry ${authed.host} is blocked in registries.conf`;
  const push = await skiff(['push', '--tls-verify=false', '--creds', `${AUTH.user}:${AUTH.password}`, BUSYBOX_IMAGE, `${authed.host}/conf/bb:blocked`], { exit: 125 });
  t.true(push.stderr.includes(blocked), push.stderr);
  const res = await registryRequest(authed, '/v2/conf/bb/tags/list', { auth: true });
  t.is(res.status, 404, res.body.toString());

  const login = await skiff(['login', '--tls-verify=false', '-u', AUTH.user, '--password-stdin', authed.host], { exit: 125, stdin: `${AUTH.password}\n` });
  t.is(login.stderr.trim(), blocked);
  await t.throwsAsync(readFile(authfile, 'utf8'));
  // A repository under a blocked registry is blocked too.
  const repo = await skiff(['login', '-u', AUTH.user, '--password-stdin', `${authed.host}/team/app`], { exit: 125, stdin: `${AUTH.password}\n` });
  t.is(repo.stderr.trim(), blocked);
});
