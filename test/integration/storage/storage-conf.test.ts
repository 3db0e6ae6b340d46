// The user's storage.conf is read as rootless podman reads it (graphroot,
// runroot, driver, overlay options) and the global flags win over it.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { newTestEnv, runSkiff, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
let config: string;

const writeConf = async (text: string) => {
  await mkdir(join(config, 'containers'), { recursive: true });
  await writeFile(join(config, 'containers', 'storage.conf'), text);
};
/** skiff with no --root/--runroot: the store comes from storage.conf under XDG_CONFIG_HOME. */
const skiff = (args: string[], exit = 0) => runSkiff([], args, { exit, env: { XDG_CONFIG_HOME: config } });

test.before(async () => {
  env = await newTestEnv();
  config = await mkdtemp(join(tmpdir(), 'skcfg-'));
});

test.after.always(async () => {
  await env?.cleanup();
  if (config) await rm(config, { recursive: true, force: true });
});

const INFO = '{{.Store.GraphRoot}} {{.Store.RunRoot}} {{.Store.GraphDriverName}} {{.Store.ConfigFile}}';

test.serial('graphroot, runroot and driver come from storage.conf', async (t) => {
  await writeConf(`[storage]\ndriver = "vfs"\ngraphroot = "${env.root}"\nrunroot = "${env.runroot}"\n`);
  const out = (await skiff(['info', '--format', INFO])).stdout;
  t.is(out, `${env.root} ${env.runroot} vfs ${join(config, 'containers', 'storage.conf')}`);
});

test.serial('--root and --runroot win over storage.conf', async (t) => {
  const other = await newTestEnv();
  try {
    const out = (await runSkiff(['--root', other.root, '--runroot', other.runroot], ['info', '--format', INFO], { env: { XDG_CONFIG_HOME: config } })).stdout;
    t.true(out.startsWith(`${other.root} ${other.runroot} vfs `), out);
  } finally {
    await other.cleanup();
  }
});

test.serial('--storage-opt is checked as podman checks it, over the file', async (t) => {
  await writeConf(`[storage]\ngraphroot = "${env.root}"\nrunroot = "${env.runroot}"\n[storage.options.overlay]\nmount_program = "/nonexistent/fuse-overlayfs"\n`);
  const bad = await skiff(['info'], 125);
  t.is(bad.stderr, 'Error: overlay: can\'t stat program "/nonexistent/fuse-overlayfs": stat /nonexistent/fuse-overlayfs: no such file or directory');
  // The flag's value replaces the file's.
  await skiff(['--storage-driver', 'vfs', '--storage-opt', '', 'info', '--format', '{{.Store.GraphDriverName}}']);
  const unknown = await skiff(['--storage-driver', 'vfs', '--storage-opt', 'overlay.mountopt=nodev', 'info'], 125);
  t.is(unknown.stderr, 'Error: vfs driver does not support overlay.mountopt options');
  const unparsed = await skiff(['--storage-opt', 'foo', 'info'], 125);
  t.is(unparsed.stderr, 'Error: unable to parse key/value option: foo');
});

test.serial('a storage.conf that does not parse is a one-line error; --version does not read it', async (t) => {
  await writeConf('[storage\ndriver = "vfs"\n');
  const r = await skiff(['info'], 125);
  t.regex(r.stderr, /^Error: decoding storage configuration ".*storage\.conf": [^\n]+$/);
  t.regex((await skiff(['--version'])).stdout, /^skiff version /);
});
