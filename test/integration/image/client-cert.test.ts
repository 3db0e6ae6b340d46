// Mutual TLS: a registry that requires a client certificate (distribution's
// http.tls.clientcas, with a CA and a client certificate made by openssl
// here) is refused without one and reachable with NAME.cert/NAME.key in
// --cert-dir or in certs.d/HOST, as containers/image loads them; a .cert
// without its .key is an error that names the files.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { startRegistry, type TestRegistry } from '../../helpers/registry.js';

const env = useBusyboxEnv();
const AUTH = { user: 'carol', password: 'mutual-tls' };
let reg: TestRegistry;
let scratch: string;

test.before(async () => {
  reg = await startRegistry({ tls: true, clientAuth: true, auth: AUTH });
  scratch = await mkdtemp(join(tmpdir(), 'skcc-'));
  await writeFile(join(scratch, 'registries.conf'), 'unqualified-search-registries = []\n');
});

test.after.always(async () => {
  await reg?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const creds = ['--creds', `${AUTH.user}:${AUTH.password}`];
/** No registries.conf or auth file of the user's; certs.d under `configHome` when given. */
const vars = (configHome = join(scratch, 'no-config')) => ({
  CONTAINERS_REGISTRIES_CONF: join(scratch, 'registries.conf'),
  REGISTRY_AUTH_FILE: join(scratch, 'auth.json'),
  XDG_CONFIG_HOME: configHome,
});

test.serial('with --cert-dir: push, pull and login fail without the client certificate and work with it', async (t) => {
  const ref = `${reg.host}/mtls/bb:v1`;
  const caOnly = ['--cert-dir', reg.caOnlyCertDir!];
  const withCert = ['--cert-dir', reg.certDir!];

  const refused = await env.skiff(['push', '-q', ...caOnly, ...creds, BUSYBOX_IMAGE, ref], { exit: 125, env: vars() });
  t.regex(refused.stderr, /^Error: .*(certificate|tls|TLS|socket hang up|ECONNRESET)/m);
  await env.skiff(['push', '-q', ...withCert, ...creds, BUSYBOX_IMAGE, ref], { env: vars() });

  await env.skiff(['pull', '-q', ...caOnly, ...creds, ref], { exit: 125, env: vars() });
  const pulled = await env.skiff(['pull', '-q', ...withCert, ...creds, ref], { env: vars() });
  t.regex(pulled.stdout, /^[0-9a-f]{64}$/);

  const login = ['login', '-u', AUTH.user, '--password-stdin', reg.host];
  await env.skiff([...login.slice(0, 1), ...caOnly, ...login.slice(1)], { exit: 125, stdin: `${AUTH.password}\n`, env: vars() });
  await t.throwsAsync(readFile(join(scratch, 'auth.json'), 'utf8'));
  const ok = await env.skiff([...login.slice(0, 1), ...withCert, ...login.slice(1)], { stdin: `${AUTH.password}\n`, env: vars() });
  t.is(ok.stdout, 'Login Succeeded!');
  await rm(join(scratch, 'auth.json'), { force: true });
});

test.serial('from certs.d/HOST under $XDG_CONFIG_HOME/containers, with no flag', async (t) => {
  const configHome = join(scratch, 'config');
  const hostDir = join(configHome, 'containers', 'certs.d', reg.host);
  await mkdir(hostDir, { recursive: true });
  await copyFile(join(reg.caOnlyCertDir!, 'ca.crt'), join(hostDir, 'ca.crt'));
  const ref = `${reg.host}/mtls/bb:certsd`;
  // Only the CA: refused.
  await env.skiff(['push', '-q', ...creds, BUSYBOX_IMAGE, ref], { exit: 125, env: vars(configHome) });
  await copyFile(join(reg.certDir!, 'client.cert'), join(hostDir, 'client.cert'));
  await copyFile(join(reg.certDir!, 'client.key'), join(hostDir, 'client.key'));
  await env.skiff(['push', '-q', ...creds, BUSYBOX_IMAGE, ref], { env: vars(configHome) });
  const pulled = await env.skiff(['pull', '-q', ...creds, ref], { env: vars(configHome) });
  t.regex(pulled.stdout, /^[0-9a-f]{64}$/);
  const ok = await env.skiff(['login', '-u', AUTH.user, '--password-stdin', reg.host], { stdin: `${AUTH.password}\n`, env: vars(configHome) });
  t.is(ok.stdout, 'Login Succeeded!');
  await rm(join(scratch, 'auth.json'), { force: true });
});

test.serial('a .cert without its .key, or a .key without its .cert, is refused with containers/image\'s message', async (t) => {
  const lone = join(scratch, 'lone-cert');
  await mkdir(lone);
  await copyFile(join(reg.certDir!, 'ca.crt'), join(lone, 'ca.crt'));
  await copyFile(join(reg.certDir!, 'client.cert'), join(lone, 'client.cert'));
  const r = await env.skiff(['push', '-q', '--cert-dir', lone, ...creds, BUSYBOX_IMAGE, `${reg.host}/mtls/bb:lone`], { exit: 125, env: vars() });
  t.is(r.stderr.trim(), 'Error: missing key client.key for client certificate client.cert. Note that CA certificates should use the extension .crt');

  const loneKey = join(scratch, 'lone-key');
  await mkdir(loneKey);
  await copyFile(join(reg.certDir!, 'client.key'), join(loneKey, 'other.key'));
  const k = await env.skiff(['pull', '-q', '--cert-dir', loneKey, ...creds, `${reg.host}/mtls/bb:v1`], { exit: 125, env: vars() });
  t.regex(k.stderr, /^Error: missing client certificate other\.cert for key other\.key$/m);
});
