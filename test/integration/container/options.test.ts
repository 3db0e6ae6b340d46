// Container options that used to be accepted and then ignored: --stop-signal
// checked at create time, `start -a` giving stdin to a container created with
// -i (podman's rule), and inspect reporting the container's real graph driver
// and IP address instead of constants.
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName } from '../../helpers/skiff.js';

const IMG = BUSYBOX_IMAGE;
const env = useBusyboxEnv();

test.serial('create and run refuse an invalid --stop-signal with exit 125 and create nothing', async (t) => {
  const name = uniqueName('badsig');
  const created = await env.skiff(['create', '--name', name, '--network', 'none', '--stop-signal', 'SIGFOO', IMG, 'true'], { exit: 125 });
  t.is(created.stderr.trim(), 'Error: invalid signal: SIGFOO');
  const ran = await env.skiff(['run', '--rm', '--name', name, '--network', 'none', '--stop-signal', '99', IMG, 'true'], { exit: 125 });
  t.regex(ran.stderr, /^Error: invalid signal: 99$/m);
  t.deepEqual((await env.skiff(['ps', '-a', '--format', '{{.Names}}'])).lines.filter((n) => n === name), []);
  // The name is free again: nothing was reserved.
  await env.skiff(['create', '--name', name, '--network', 'none', '--stop-signal', 'usr1', IMG, 'true']);
  t.is((await env.skiff(['inspect', '--format', '{{.Config.StopSignal}}', name])).stdout, 'usr1');
  await env.skiff(['rm', name]);
});

test.serial('start -a gives piped stdin to a container created with -i, as podman does', async (t) => {
  const name = uniqueName('cat');
  await env.skiff(['create', '-i', '--name', name, '--network', 'none', IMG, 'cat']);
  const r = await env.skiff(['start', '-a', name], { stdin: 'through start -a\n', timeout: 30_000 });
  t.is(r.stdout, 'through start -a');
  await env.skiff(['rm', name]);
});

test.serial('start -a does not give stdin to a container created without -i, even with start -i', async (t) => {
  const name = uniqueName('nocat');
  await env.skiff(['create', '--name', name, '--network', 'none', IMG, 'cat']);
  const r = await env.skiff(['start', '-a', '-i', name], { stdin: 'not for it\n', timeout: 30_000 });
  t.is(r.stdout, '');
  await env.skiff(['rm', name]);
});

test.serial('start -i without -a starts detached and prints the name, as podman does', async (t) => {
  const name = uniqueName('idet');
  await env.skiff(['create', '-i', '--name', name, '--network', 'none', IMG, 'sleep', '60']);
  const r = await env.skiff(['start', '-i', name], { stdin: 'ignored\n', timeout: 30_000 });
  t.is(r.stdout, name);
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', name])).stdout, 'running');
  await env.skiff(['rm', '-f', name]);
});

