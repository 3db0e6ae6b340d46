// The first things a user tries: the CLI starts, an image imports, a
// container runs and its exit code comes back (DESIGN.md "Exit codes").
import test from 'ava';
import { BUSYBOX_IMAGE, importBusybox } from '../../fixtures/busybox.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;

test.before(async () => {
  env = await newTestEnv();
});

test.after.always(async () => {
  await env?.cleanup();
});

test.serial('skiff version exits 0', async (t) => {
  const { stdout } = await env.skiff(['version']);
  t.regex(stdout, /\d+\.\d+\.\d+/);
});

test.serial('import busybox and run echo', async (t) => {
  const id = await importBusybox(env);
  t.regex(id, /^(sha256:)?[0-9a-f]{64}$/);
  const { stdout } = await env.skiff(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'echo', 'hello']);
  t.is(stdout, 'hello');
});

// podman passes the container's own exit code through (not 125/126/127).
test.serial('run returns the container exit code', async (t) => {
  const { stdout } = await env.skiff(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'exit 3'], { exit: 3 });
  t.is(stdout, '');
});
