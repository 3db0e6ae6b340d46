// Published ports on user networks (-p with --network NAME, and --network
// bridge, the default network podman): the rootless netns's slirp4netns
// binds each host port and forwards straight to the container's address on
// its bridge. Real traffic from this test to 127.0.0.1 only.
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE as IMG, importBusybox } from '../../fixtures/busybox.js';
import { buildHostBinariesTar } from '../../fixtures/host-binaries.js';
import { canBind, fetchText } from '../../helpers/net.js';
import { freePort, newTestEnv, poll, uniqueName, type TestEnv } from '../../helpers/skiff.js';

/** busybox's nc has no UDP: socat from the host serves it. */
const SOCAT_IMG = 'localhost/socat';
let env: TestEnv;

test.before(async () => {
  env = await newTestEnv();
  await importBusybox(env);
  const tarball = await buildHostBinariesTar(['/usr/bin/socat']);
  await env.skiff(['import', tarball, SOCAT_IMG]);
  await rm(tarball, { force: true });
});

test.after.always(async () => {
  await env?.cleanup();
});

function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** busybox httpd serving /etc on port 80, logging each client's address (-vv). */
async function httpd(name: string, network: string, publish: string[], extra: string[] = []): Promise<void> {
  await env.skiff(['run', '-d', '--name', name, '--network', network, ...publish.flatMap((p) => ['-p', p]), ...extra, IMG, 'httpd', '-f', '-vv', '-p', '80', '-h', '/etc']);
}

async function ipOn(name: string, network: string): Promise<string> {
  return (await env.skiff(['inspect', '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, name])).stdout;
}

test.serial('-p on a user network serves httpd on the host; port, ps and inspect show it; the server sees the host as 10.0.2.2; rm frees the port', async (t) => {
  await env.skiff(['network', 'create', 'pub1']);
  const name = uniqueName('web');
  const port = await freePort();
  await httpd(name, 'pub1', [`${port}:80`], ['--hostname', 'webhost']);
  t.is(await poll(() => fetchText(port)), 'webhost\n');
  t.is((await env.skiff(['port', name])).stdout, `80/tcp -> 0.0.0.0:${port}`);
  t.is((await env.skiff(['ps', '--filter', `name=${name}`, '--format', '{{.Ports}}'])).stdout, `0.0.0.0:${port}->80/tcp`);
  const inspect = JSON.parse((await env.skiff(['inspect', name])).stdout)[0];
  t.deepEqual(inspect.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '', HostPort: String(port) }] });
  // No NAT and no proxy in between: the client's address as slirp4netns gives it (the host's loopback is its gateway).
  const logs = await env.skiff(['logs', name]);
  t.regex(logs.stdout + logs.stderr, /\[::ffff:10\.0\.2\.2\]:\d+: url:\/hostname/, logs.stdout + logs.stderr);
  await env.skiff(['rm', '-f', '-t0', name]);
  t.true(await canBind(port), 'the host port is free once rm returns');
  await env.skiff(['network', 'rm', 'pub1']);
});

test.serial('several containers on two networks publish at once, TCP and UDP; one leaving keeps the others\' ports', async (t) => {
  await env.skiff(['network', 'create', 'pubA']);
  await env.skiff(['network', 'create', 'pubB']);
  const [a1, a2, b] = [uniqueName('a1'), uniqueName('a2'), uniqueName('b')];
  const [p1, p2, pu] = [await freePort(), await freePort(), await freePort()];
  await httpd(a1, 'pubA', [`127.0.0.1:${p1}:80`], ['--hostname', 'one']);
  await httpd(a2, 'pubA', [`${p2}:80`], ['--hostname', 'two']);
  await env.skiff(['run', '-d', '--name', b, '--network', 'pubB', '-p', `${pu}:5000/udp`, SOCAT_IMG, 'socat', '-u', 'UDP-RECV:5000', 'STDOUT']);
  t.is(await poll(() => fetchText(p1)), 'one\n');
  t.is(await poll(() => fetchText(p2)), 'two\n');
  const socket = createSocket('udp4');
  try {
    const seen = await poll(async () => {
      socket.send('over-udp\n', pu, '127.0.0.1');
      return (await env.skiff(['logs', b])).stdout.includes('over-udp');
    }, 10_000, 300);
    t.true(seen);
  } finally {
    socket.close();
  }
  await env.skiff(['rm', '-f', '-t0', a1]);
  t.true(await canBind(p1));
  t.is(await fetchText(p2), 'two\n', 'the other container on the network still publishes');
  await env.skiff(['rm', '-f', '-t0', a2, b]);
  await env.skiff(['network', 'rm', 'pubA', 'pubB']);
});

test.serial('--network bridge with -p publishes from the default network podman', async (t) => {
  const name = uniqueName('br');
  const port = await freePort();
  await httpd(name, 'bridge', [`${port}:80`], ['--hostname', 'onbridge']);
  t.regex(await ipOn(name, 'podman'), /^10\.88\.0\.\d+$/);
  t.is(await poll(() => fetchText(port)), 'onbridge\n');
  t.is((await env.skiff(['port', name, '80'])).stdout, `0.0.0.0:${port}`);
  await env.skiff(['rm', '-f', '-t0', name]);
  t.true(await canBind(port));
});

test.serial('a host port in use on a user network: the one-line error, exit 125, nothing left (no container, no namespace, no lease)', async (t) => {
  await env.skiff(['network', 'create', 'pubbusy']);
  const networksRun = join(env.runroot, 'networks');
  const port = await freePort();
  const holder: Server = createServer();
  await new Promise<void>((resolve) => holder.listen(port, '0.0.0.0', () => resolve()));
  try {
    const before = (await env.skiff(['ps', '-aq'])).stdout;
    const r = await env.skiff(['run', '--rm', '--network', 'pubbusy', '-p', `${port}:80`, IMG, 'true'], { exit: 125 });
    t.is(r.stderr.trim(), `Error: rootlessport listen tcp 0.0.0.0:${port}: bind: address already in use`);
    t.is((await env.skiff(['ps', '-aq'])).stdout, before, 'no container record left');
    t.deepEqual(listDir(join(env.runroot, 'netns')), [], 'no network namespace left');
    t.deepEqual(listDir(join(networksRun, 'containers')), [], 'no network state left');
    t.false(existsSync(join(networksRun, 'rootless-netns')), 'the rootless netns is gone with its last container');
    // The second port fails after the first was bound: the first is given back.
    const first = await freePort();
    await env.skiff(['run', '--rm', '--network', 'pubbusy', '-p', `${first}:80`, '-p', `${port}:81`, IMG, 'true'], { exit: 125 });
    t.true(await canBind(first), 'the port bound before the failure is free again');
    const leases = JSON.parse(await readFile(join(networksRun, 'ipam', 'pubbusy.json'), 'utf8')) as { leases: Record<string, string> };
    t.deepEqual(leases.leases, {}, 'the addresses leased for the failed containers were given back');
    const name = uniqueName('ok');
    await httpd(name, 'pubbusy', [`${first}:80`]);
    t.truthy(await poll(() => fetchText(first)));
    await env.skiff(['rm', '-f', '-t0', name]);
  } finally {
    holder.close();
  }
  await env.skiff(['network', 'rm', 'pubbusy']);
});

test.serial('a container on a user network that exits at once frees its port; a killed monitor\'s port is freed by the next command', async (t) => {
  await env.skiff(['network', 'create', 'pubend']);
  const port = await freePort();
  // Another container keeps the rootless netns (and its slirp4netns) up: the port must be removed, not just die with it.
  const keeper = uniqueName('keep');
  await env.skiff(['run', '-d', '--name', keeper, '--network', 'pubend', IMG, 'sleep', '300']);
  await env.skiff(['run', '--rm', '--network', 'pubend', '-p', `${port}:80`, IMG, 'true']);
  t.true(await canBind(port), 'free as soon as run returns');

  const name = uniqueName('k9');
  await httpd(name, 'pubend', [`${port}:80`]);
  t.truthy(await poll(() => fetchText(port)));
  const monitor = Number((await env.skiff(['inspect', '--format', '{{.State.ConmonPid}}', name])).stdout);
  process.kill(monitor, 'SIGKILL');
  await env.skiff(['rm', '-f', '-t0', name]);
  t.true(await canBind(port), 'free after the repair');
  const again = uniqueName('k9b');
  await httpd(again, 'pubend', [`${port}:80`], ['--hostname', 'again']);
  t.is(await poll(() => fetchText(port)), 'again\n');
  await env.skiff(['rm', '-f', '-t0', again, keeper]);
  await env.skiff(['network', 'rm', 'pubend']);
});

test.serial('network disconnect of the network its ports go to: they go to its address on the network it keeps; none left: closed, until connected again (podman 500-networking)', async (t) => {
  await env.skiff(['network', 'create', 'pubX']);
  await env.skiff(['network', 'create', 'pubY']);
  const name = uniqueName('two');
  const port = await freePort();
  await env.skiff(['run', '-d', '--name', name, '--network', 'pubX', '--network', 'pubY', '-p', `${port}:80`, IMG, 'httpd', '-f', '-p', '80', '-h', '/etc']);
  t.truthy(await poll(() => fetchText(port)));
  await env.skiff(['network', 'disconnect', 'pubX', name]);
  t.truthy(await poll(() => fetchText(port)), 'still published, through pubY');
  const ip = await ipOn(name, 'pubY');
  await env.skiff(['network', 'disconnect', 'pubY', name]);
  t.is(await fetchText(port), undefined, 'on no network: nothing answers');
  t.true(await canBind(port), 'and the host port is free');
  await env.skiff(['network', 'connect', 'pubY', name]);
  t.truthy(await poll(() => fetchText(port)), 'published again once connected');
  t.not(await ipOn(name, 'pubY'), ip, 'a new address, as podman\'s IPAM gives the next one');
  await env.skiff(['rm', '-f', '-t0', name]);
  t.true(await canBind(port));
  await env.skiff(['network', 'rm', 'pubX', 'pubY']);
});

test.serial('a user network without -o mtu runs at the rootless netns\'s MTU (65520, as podman 5.3), one with it at its own; network inspect shows what was given', async (t) => {
  await env.skiff(['network', 'create', 'mtudefault']);
  await env.skiff(['network', 'create', '-o', 'mtu=1400', 'mtusmall']);
  const big = await env.skiff(['run', '--rm', '--network', 'mtudefault', IMG, 'cat', '/sys/class/net/eth0/mtu']);
  t.is(big.stdout, '65520');
  const small = await env.skiff(['run', '--rm', '--network', 'mtusmall', IMG, 'cat', '/sys/class/net/eth0/mtu']);
  t.is(small.stdout, '1400');
  t.is((await env.skiff(['network', 'inspect', '--format', '{{json .Options}}', 'mtudefault'])).stdout, '{}');
  await env.skiff(['network', 'rm', 'mtudefault', 'mtusmall']);
});
