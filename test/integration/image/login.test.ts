// `skiff login` as a person uses it, against a real TLS registry with basic
// auth: the username and password prompts on a real pseudo-terminal (the
// password never echoed), stored credentials checked before prompting
// ("Already logged in"), --get-login, and a docker credential helper named
// in the auth file's credHelpers.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import pty from 'node-pty';
import { startRegistry, type TestRegistry } from '../../helpers/registry.js';
import { PROJECT_ROOT, SKIFF_BIN, newTestEnv, type TestEnv } from '../../helpers/skiff.js';

const PASSWORD = 'pty-s3cret';

let env: TestEnv;
let secure: TestRegistry;
let dir: string;

test.before(async () => {
  [env, secure] = await Promise.all([newTestEnv(), startRegistry({ tls: true, auth: { user: 'alice', password: PASSWORD } })]);
  dir = await mkdtemp(join(tmpdir(), 'sklogin-'));
});

test.after.always(async () => {
  await env?.cleanup();
  await secure?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Runs skiff in a pty, answering each prompt as it appears (in order);
 * resolves with everything the terminal showed and the exit code.
 */
function loginInPty(args: string[], answers: Array<[prompt: string, reply: string]>, ms = 30_000): Promise<{ output: string; exitCode: number }> {
  const term = pty.spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, ...args], {
    name: 'xterm',
    cols: 100,
    rows: 30,
    cwd: PROJECT_ROOT,
    env: { ...process.env, TERM: 'xterm' } as Record<string, string>,
  });
  let output = '';
  let answered = 0;
  let seen = 0; // output before this index has been searched for prompts
  term.onData((d) => {
    output += d;
    const next = answers[answered];
    // readline may follow its prompt with cursor escapes: look for the prompt, not the end.
    if (next && output.indexOf(next[0], seen) >= 0) {
      answered++;
      seen = output.length;
      term.write(`${next[1]}\r`);
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      term.kill();
      reject(new Error(`timed out after ${ms} ms; pty output:\n${JSON.stringify(output)}`));
    }, ms);
    term.onExit(({ exitCode }) => {
      clearTimeout(timer);
      setTimeout(() => resolve({ output, exitCode }), 100);
    });
  });
}

const certs = () => ['--cert-dir', secure.certDir!];

test.serial('on a terminal, login prompts for the username and the password, and never echoes the password', async (t) => {
  const authfile = join(dir, 'prompted.json');
  const { output, exitCode } = await loginInPty(['login', ...certs(), '--authfile', authfile, secure.host], [
    ['Username: ', 'alice'],
    ['Password: ', PASSWORD],
  ]);
  t.is(exitCode, 0, output);
  t.regex(output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, ''), /Username: alice\s/, 'the username is echoed');
  t.regex(output, /Login Succeeded!/);
  t.false(output.includes(PASSWORD), 'the password is not shown');
  const stored = JSON.parse(await readFile(authfile, 'utf8')) as { auths: Record<string, { auth: string }> };
  t.is(Buffer.from(stored.auths[secure.host]!.auth, 'base64').toString(), `alice:${PASSWORD}`);
});

test.serial('with valid stored credentials and no username, login checks them and is already logged in', async (t) => {
  const authfile = join(dir, 'prompted.json');
  const again = await env.skiff(['login', ...certs(), '--authfile', authfile, secure.host]);
  t.deepEqual(again.lines, [
    `Authenticating with existing credentials for ${secure.host}`,
    `Existing credentials are valid. Already logged in to ${secure.host}`,
  ]);
  const who = await env.skiff(['login', '--get-login', '--authfile', authfile, secure.host]);
  t.is(who.stdout, 'alice');
  const nobody = await env.skiff(['login', '--get-login', '--authfile', authfile, '127.0.0.1:1'], { exit: 125 });
  t.is(nobody.stderr, 'Error: not logged into 127.0.0.1:1');
});

test.serial('stale stored credentials: login says so, then prompts (and refuses without a terminal)', async (t) => {
  const authfile = join(dir, 'stale.json');
  const stale = { auths: { [secure.host]: { auth: Buffer.from('alice:old-password').toString('base64') } } };
  await writeFile(authfile, JSON.stringify(stale), { mode: 0o600 });
  const piped = await env.skiff(['login', ...certs(), '--authfile', authfile, secure.host], { exit: 125 });
  t.regex(piped.stdout, /Existing credentials are invalid, please enter valid username and password/);
  t.regex(piped.stderr, /^Error: cannot read the username: stdin is not a terminal/);

  const { output, exitCode } = await loginInPty(['login', ...certs(), '--authfile', authfile, secure.host], [
    ['Username: ', 'alice'],
    ['Password: ', PASSWORD],
  ]);
  t.is(exitCode, 0, output);
  t.regex(output, /Existing credentials are invalid[\s\S]*Login Succeeded!/);
  const stored = JSON.parse(await readFile(authfile, 'utf8')) as { auths: Record<string, { auth: string }> };
  t.is(Buffer.from(stored.auths[secure.host]!.auth, 'base64').toString(), `alice:${PASSWORD}`);
});

test.serial('a wrong password typed at the prompt is refused and stores nothing', async (t) => {
  const authfile = join(dir, 'wrong.json');
  const { output, exitCode } = await loginInPty(['login', ...certs(), '--authfile', authfile, secure.host], [
    ['Username: ', 'alice'],
    ['Password: ', 'not-it'],
  ]);
  t.is(exitCode, 125, output);
  t.regex(output, /Error: .*(unauthorized|invalid username\/password)/i);
  await t.throwsAsync(readFile(authfile), { code: 'ENOENT' });
});

/**
 * A docker credential helper (the protocol of docker-credential-helpers):
 * `get`/`erase` read a registry on stdin, `store` reads JSON; it keeps its
 * credentials in the JSON file $SKIFF_TEST_CRED_STORE.
 */
const HELPER = `#!/usr/bin/env node
const fs = require('fs');
const file = process.env.SKIFF_TEST_CRED_STORE;
const load = () => { try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return {}; } };
const input = fs.readFileSync(0, 'utf8').trim();
const store = load();
switch (process.argv[2]) {
  case 'get':
    if (!store[input]) { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); }
    process.stdout.write(JSON.stringify({ ServerURL: input, ...store[input] }));
    break;
  case 'store': {
    const doc = JSON.parse(input);
    store[doc.ServerURL] = { Username: doc.Username, Secret: doc.Secret };
    fs.writeFileSync(file, JSON.stringify(store));
    break;
  }
  case 'erase':
    if (!store[input]) { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); }
    delete store[input];
    fs.writeFileSync(file, JSON.stringify(store));
    break;
  default:
    process.exit(2);
}
`;

test.serial('a registry named in credHelpers is served by that helper: login stores there, lookup and logout use it', async (t) => {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'docker-credential-skifftest'), HELPER);
  await chmod(join(bin, 'docker-credential-skifftest'), 0o755);
  const credStore = join(dir, 'helper-store.json');
  const authfile = join(dir, 'helped.json');
  await writeFile(authfile, JSON.stringify({ auths: {}, credHelpers: { [secure.host]: 'skifftest' } }), { mode: 0o600 });
  const helperEnv = { env: { PATH: `${bin}:${process.env.PATH}`, SKIFF_TEST_CRED_STORE: credStore } };

  const login = await env.skiff(['login', ...certs(), '--authfile', authfile, '-u', 'alice', '--password-stdin', secure.host], { stdin: `${PASSWORD}\n`, ...helperEnv });
  t.is(login.stdout, 'Login Succeeded!');
  t.deepEqual(JSON.parse(await readFile(credStore, 'utf8')), { [secure.host]: { Username: 'alice', Secret: PASSWORD } });
  t.deepEqual(JSON.parse(await readFile(authfile, 'utf8')).auths, {}, 'nothing in the auth file itself');

  // Lookup goes through the helper: stored credentials are found and valid.
  const again = await env.skiff(['login', ...certs(), '--authfile', authfile, secure.host], helperEnv);
  t.regex(again.stdout, /Already logged in/);
  t.is((await env.skiff(['login', '--get-login', '--authfile', authfile, secure.host], helperEnv)).stdout, 'alice');

  await env.skiff(['logout', '--authfile', authfile, secure.host], helperEnv);
  t.deepEqual(JSON.parse(await readFile(credStore, 'utf8')), {});
  await env.skiff(['login', '--get-login', '--authfile', authfile, secure.host], { ...helperEnv, exit: 125 });

  // A helper that is not installed is a clear error.
  const missing = await env.skiff(['login', '--get-login', '--authfile', authfile, secure.host], { exit: 125 });
  t.regex(missing.stderr, /^Error: credential helper docker-credential-skifftest is not installed/);
});
