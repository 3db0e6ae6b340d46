// The flags podman's system tests run before every test (basic_setup):
// `rm -t 0 --all --force --ignore`, `ps --all --external`, `images --all`,
// `rmi --force`. Each was once an unknown flag (exit 125).
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

test.serial('rm -t 0 --all --force --ignore removes running and created containers', async (t) => {
  const running = uniqueName('run');
  const created = uniqueName('cre');
  await env.skiff(['run', '-d', '--network', 'none', '--name', running, BUSYBOX_IMAGE, 'sleep', '100']);
  await env.skiff(['create', '--network', 'none', '--name', created, BUSYBOX_IMAGE, 'true']);
  const listed = await env.skiff(['ps', '--all', '--external', '--format', '{{.Names}}']);
  t.deepEqual([...listed.lines].sort(), [running, created].sort());
  const r = await env.skiff(['rm', '-t', '0', '--all', '--force', '--ignore']);
  t.is(r.lines.length, 2);
  t.deepEqual((await env.skiff(['ps', '-a', '-q'])).lines, []);
  // Nothing left: --all with nothing to do is no error either.
  await env.skiff(['rm', '-t', '0', '--all', '--force', '--ignore']);
});

test.serial('rm --ignore passes over a missing container; without it the exit is 1', async (t) => {
  const name = uniqueName('gone');
  await env.skiff(['create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'true']);
  const r = await env.skiff(['rm', '-i', 'no-such-container', name]);
  t.deepEqual(r.lines, [name]);
  t.is(r.stderr, '');
  const missing = await env.skiff(['rm', 'no-such-container'], { exit: 1 });
  t.regex(missing.stderr, /^Error: no container with name or ID "no-such-container" found/);
});

test.serial('ps --external lists what ps does (no other tool shares the store)', async (t) => {
  const name = uniqueName('ext');
  await env.skiff(['create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'true']);
  t.deepEqual((await env.skiff(['ps', '-a', '--external', '-q', '--no-trunc'])).lines, (await env.skiff(['ps', '-a', '-q', '--no-trunc'])).lines);
  t.deepEqual((await env.skiff(['ps', '--external', '-q'])).lines, []);
  await env.skiff(['rm', name]);
});

test.serial('images --all lists the image; rmi --force and rmi --ignore pass over a missing image', async (t) => {
  const r = await env.skiff(['images', '--all', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
  t.deepEqual(r.lines, [`${BUSYBOX_IMAGE}:latest ${env.imageId.slice(0, 12)}`]);
  for (const flag of ['--force', '--ignore', '-i']) {
    const gone = await env.skiff(['rmi', flag, 'localhost/no-such-image']);
    t.is(gone.stdout + gone.stderr, '', flag);
  }
  await env.skiff(['rmi', 'localhost/no-such-image'], { exit: 1 });
  // The real image stays through all of it.
  await env.skiff(['image', 'exists', BUSYBOX_IMAGE]);
});
