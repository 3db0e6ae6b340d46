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

