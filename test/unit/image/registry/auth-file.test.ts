import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SkiffError } from '../../../../src/util/errors.js';
import { authFilePaths, lookupCredentials, normalizeAuthKey } from '../../../../src/image/registry/auth-file.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function tree(files: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-auth-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

test('no files: undefined', (t) => {
  const home = tree({});
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  t.is(lookupCredentials('quay.io', {}, home), undefined);
});

test('REGISTRY_AUTH_FILE wins over ~/.config and docker config, and replaces XDG_RUNTIME_DIR', (t) => {
  const home = tree({
    'explicit.json': { auths: { 'quay.io': { auth: b64('explicit:pw1') } } },
    'run/containers/auth.json': { auths: { 'quay.io': { auth: b64('runtime:pw') } } },
    '.config/containers/auth.json': { auths: { 'quay.io': { auth: b64('config:pw') } } },
    '.docker/config.json': { auths: { 'quay.io': { auth: b64('docker:pw') } } },
  });
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const env = { REGISTRY_AUTH_FILE: path.join(home, 'explicit.json'), XDG_RUNTIME_DIR: path.join(home, 'run') };
  t.deepEqual(lookupCredentials('quay.io', env, home), { username: 'explicit', password: 'pw1' });
  t.deepEqual(lookupCredentials('quay.io', { XDG_RUNTIME_DIR: path.join(home, 'run') }, home), { username: 'runtime', password: 'pw' });
  t.deepEqual(lookupCredentials('quay.io', {}, home), { username: 'config', password: 'pw' });
  t.false(authFilePaths(env, home).some((p) => p.path.startsWith(path.join(home, 'run'))));
});

test('falls through files without an entry to ~/.docker/config.json', (t) => {
  const home = tree({
    '.config/containers/auth.json': { auths: { 'other.io': { auth: b64('x:y') } } },
    '.docker/config.json': { auths: { '127.0.0.1:5000': { auth: b64('user:pa:ss') } } },
  });
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  // Only the first colon separates user from password.
  t.deepEqual(lookupCredentials('127.0.0.1:5000', {}, home), { username: 'user', password: 'pa:ss' });
  t.is(lookupCredentials('127.0.0.1:5001', {}, home), undefined);
});

test('docker hub aliases: https://index.docker.io/v1/ serves docker.io', (t) => {
  const home = tree({ '.docker/config.json': { auths: { 'https://index.docker.io/v1/': { auth: b64('hub:secret') } } } });
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  t.deepEqual(lookupCredentials('docker.io', {}, home), { username: 'hub', password: 'secret' });
  t.deepEqual(lookupCredentials('index.docker.io', {}, home), { username: 'hub', password: 'secret' });
});

test('keys with scheme and path name the whole registry', (t) => {
  const home = tree({ '.config/containers/auth.json': { auths: { 'https://registry.example:8443/v2/': { auth: b64('a:b') } } } });
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  t.deepEqual(lookupCredentials('registry.example:8443', {}, home), { username: 'a', password: 'b' });
});

test('repository-scoped entries: most specific wins', (t) => {
  const home = tree({
    '.config/containers/auth.json': {
      auths: { 'quay.io': { auth: b64('host:1') }, 'quay.io/team': { auth: b64('team:2') }, 'quay.io/team/app': { auth: b64('app:3') } },
    },
  });
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  t.deepEqual(lookupCredentials('quay.io/team/app', {}, home), { username: 'app', password: '3' });
  t.deepEqual(lookupCredentials('quay.io/team/other', {}, home), { username: 'team', password: '2' });
  t.deepEqual(lookupCredentials('quay.io/solo/x', {}, home), { username: 'host', password: '1' });
  t.deepEqual(lookupCredentials('quay.io', {}, home), { username: 'host', password: '1' });
});

test('identitytoken entries', (t) => {
  const home = tree({ '.docker/config.json': { auths: { 'r.example': { auth: b64('<token>:'), identitytoken: 'refresh-me' } } } });
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  t.deepEqual(lookupCredentials('r.example', {}, home), { identityToken: 'refresh-me' });
});

test('entries with an empty auth are skipped', (t) => {
  const home = tree({
    '.config/containers/auth.json': { auths: { 'r.example': {} } },
    '.docker/config.json': { auths: { 'r.example': { auth: b64('d:p') } } },
  });
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  t.deepEqual(lookupCredentials('r.example', {}, home), { username: 'd', password: 'p' });
});

test('legacy ~/.dockercfg has no "auths" wrapper', (t) => {
  const home = tree({ '.dockercfg': { 'https://old.example': { auth: b64('old:pw') } } });
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  t.deepEqual(lookupCredentials('old.example', {}, home), { username: 'old', password: 'pw' });
});

test('XDG_CONFIG_HOME and DOCKER_CONFIG move the files', (t) => {
  const home = tree({ 'cfg/containers/auth.json': { auths: { a: { auth: b64('c:1') } } }, 'dk/config.json': { auths: { b: { auth: b64('d:2') } } } });
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const env = { XDG_CONFIG_HOME: path.join(home, 'cfg'), DOCKER_CONFIG: path.join(home, 'dk') };
  t.deepEqual(lookupCredentials('a', env, '/nonexistent'), { username: 'c', password: '1' });
  t.deepEqual(lookupCredentials('b', env, '/nonexistent'), { username: 'd', password: '2' });
});

test('invalid JSON is an EAUTHFILE error naming the file', (t) => {
  const home = tree({ '.config/containers/auth.json': '{ not json' });
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const err = t.throws(() => lookupCredentials('quay.io', {}, home), { instanceOf: SkiffError });
  t.is(err?.code, 'EAUTHFILE');
  t.regex(err?.message ?? '', /auth\.json/);
});

test('normalizeAuthKey', (t) => {
  t.is(normalizeAuthKey('https://index.docker.io/v1/'), 'docker.io');
  t.is(normalizeAuthKey('registry-1.docker.io'), 'docker.io');
  t.is(normalizeAuthKey('http://Localhost:5000/v2'), 'localhost:5000');
  t.is(normalizeAuthKey('quay.io/ns/repo/'), 'quay.io/ns/repo');
});
