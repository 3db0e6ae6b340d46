// The store is private to its user, as podman's is: another local user must
// not read a container's config.json (its environment holds passwords) nor
// reach the image layers (a setuid binary there runs as the store's owner).
import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { newTestEnv, runSkiff } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

async function mode(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o7777).toString(8).padStart(4, '0');
}

test.serial('import: graph root and run root are 0700', async (t) => {
  t.is(await mode(env.root), '0700');
  t.is(await mode(env.runroot), '0700');
});

test.serial('create: containers/<id> is 0700, its config.json, state.json and bundle config.json 0600', async (t) => {
  const { stdout: id } = await env.skiff(['create', '--network', 'none', '--env', 'DB_PASSWORD=hunter2', BUSYBOX_IMAGE, 'true']);
  const dir = join(env.root, 'containers', id);
  t.is(await mode(dir), '0700');
  t.is(await mode(join(dir, 'config.json')), '0600');
  t.is(await mode(join(dir, 'bundle')), '0700');
  t.is(await mode(join(dir, 'bundle', 'config.json')), '0600');
  const files = await readdir(dir);
  if (files.includes('state.json')) t.is(await mode(join(dir, 'state.json')), '0600');
});

test.serial('run: the container that ran keeps a private directory and config', async (t) => {
  const { stdout } = await env.skiff(['run', '--network', 'none', '--env', 'API_TOKEN=s3cret', BUSYBOX_IMAGE, 'echo', 'ran']);
  t.is(stdout, 'ran');
  const { stdout: id } = await env.skiff(['ps', '-a', '--latest', '-q', '--no-trunc']);
  t.is(await mode(join(env.root, 'containers', id)), '0700');
  t.is(await mode(join(env.root, 'containers', id, 'config.json')), '0600');
  t.is(await mode(env.root), '0700');
});

test.serial('a store made 0755 by an older skiff is made 0700 by the next command', async (t) => {
  await chmod(env.root, 0o755);
  await chmod(env.runroot, 0o755);
  await env.skiff(['ps', '-a']);
  t.is(await mode(env.root), '0700');
  t.is(await mode(env.runroot), '0700');
  // A namespaced command, re-executed inside the user namespace before the command table loads.
  await chmod(env.root, 0o755);
  // As podman, rm -f of a missing container succeeds.
  await env.skiff(['rm', '-f', '-t', '0', 'no-such-container']);
  t.is(await mode(env.root), '0700');
});

test.serial('a command that only reads (images) on a new store creates it private', async (t) => {
  const fresh = await newTestEnv();
  try {
    await fresh.skiff(['images']);
    t.is(await mode(fresh.root), '0700');
    t.is(await mode(fresh.runroot), '0700');
  } finally {
    await fresh.cleanup();
  }
});

test.serial('a graph root others can write to is refused, not made private: what it holds may be planted', async (t) => {
  const root = join(env.dir, 'open-root');
  await mkdir(root);
  await chmod(root, 0o777);
  for (const args of [['ps', '-a'], ['rm', '-f', '-t', '0', 'x']]) {
    const r = await runSkiff(['--root', root, '--runroot', env.runroot], args, { exit: 125 }, t);
    t.is(r.stderr, `Error: graph root "${root}" is writable by other users (mode 0777)`, args.join(' '));
  }
  t.is(await mode(root), '0777');
  t.deepEqual(await readdir(root), []);
});
