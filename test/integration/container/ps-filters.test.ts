// `skiff ps` selections as podman's: -l is the latest created container
// whatever its state (it once printed an older running one).
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

test.serial('ps -l shows the latest created container, also when it is not running', async (t) => {
  const older = uniqueName('old');
  const newer = uniqueName('new');
  await env.skiff(['run', '-d', '--network', 'none', '--name', older, BUSYBOX_IMAGE, 'sleep', '100']);
  await env.skiff(['create', '--network', 'none', '--name', newer, BUSYBOX_IMAGE, 'true']);
  const r = await env.skiff(['ps', '-l', '--format', '{{.Names}}']);
  t.deepEqual(r.lines, [newer]);
  const a = await env.skiff(['ps', '-a', '--format', '{{.Names}}']);
  t.deepEqual(a.lines.slice(0, 2), [newer, older]);
  await env.skiff(['rm', '-f', older, newer]);
});

test.serial('ps -l and ps -a order containers created within one second by creation', async (t) => {
  const names = [uniqueName('a'), uniqueName('b'), uniqueName('c')];
  for (const name of names) await env.skiff(['create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'true']);
  const r = await env.skiff(['ps', '-l', '--format', '{{.Names}}']);
  t.deepEqual(r.lines, [names[2]]);
  const a = await env.skiff(['ps', '-a', '--format', '{{.Names}}']);
  t.deepEqual(a.lines, [...names].reverse());
  await env.skiff(['rm', '-f', ...names]);
});
