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
// A store keeps the driver it was made with: vfs gets its own.
const vfsEnv = useBusyboxEnv();

test.serial('create and run refuse an invalid --stop-signal with exit 125 and create nothing', async (t) => {
  const name = uniqueName('badsig');
  const created = await env.skiff(['create', '--name', name, '--network', 'none', '--stop-signal', 'SIGFOO', IMG, 'true'], { exit: 125 });
  t.is(created.stderr.trim(), 'Error: invalid signal: SIGFOO');
  const ran = await env.skiff(['run', '--rm', '--name', name, '--network', 'none', '--stop-signal', '99', IMG, 'true'], { exit: 125 });
  // podman's message for a number out of range (its 130-kill system test pins it for create too).
  t.regex(ran.stderr, /^Error: valid signals are 1 through 64$/m);
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
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('inspect reports the graph driver in use, for containers and images', async (t) => {
  const name = uniqueName('gd');
  await vfsEnv.skiff(['--storage-driver', 'vfs', 'create', '--name', name, '--network', 'none', IMG, 'true']);
  t.is((await vfsEnv.skiff(['--storage-driver', 'vfs', 'inspect', '--format', '{{.GraphDriver.Name}}', name])).stdout, 'vfs');
  t.is((await vfsEnv.skiff(['--storage-driver', 'vfs', 'image', 'inspect', '--format', '{{.GraphDriver.Name}}', IMG])).stdout, 'vfs');
  // The store's own driver, without the flag.
  t.is((await vfsEnv.skiff(['image', 'inspect', '--format', '{{.GraphDriver.Name}}', IMG])).stdout, 'vfs');
  t.is((await env.skiff(['--storage-driver', 'overlay', 'image', 'inspect', '--format', '{{.GraphDriver.Name}}', IMG])).stdout, 'overlay');
  await vfsEnv.skiff(['rm', name]);
});

test.serial("inspect's IPAddress is the address the container really has with slirp4netns, empty otherwise", async (t) => {
  const slirp = uniqueName('ip');
  await env.skiff(['create', '--name', slirp, '--network', 'slirp4netns', IMG, 'sh', '-c', 'ip -4 -o addr show tap0; sleep 60']);
  // Not running: no network namespace, no address.
  t.is((await env.skiff(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', slirp])).stdout, '');
  await env.skiff(['start', slirp]);
  let logs = '';
  for (let i = 0; i < 50 && !/inet /.test(logs); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    logs = (await env.skiff(['logs', slirp])).stdout;
  }
  const inside = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(logs)?.[1];
  t.truthy(inside, logs);
  t.is((await env.skiff(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', slirp])).stdout, inside!);
  await env.skiff(['rm', '-f', '-t', '0', slirp]);

  for (const network of ['none', 'host']) {
    const name = uniqueName(`ip-${network}`);
    await env.skiff(['run', '-d', '--name', name, '--network', network, IMG, 'sleep', '60']);
    t.is((await env.skiff(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', name])).stdout, '', network);
    await env.skiff(['rm', '-f', '-t', '0', name]);
  }
});
