// Published ports (-p, -P, --expose) with slirp4netns (its own forwarding)
// and pasta (-t/-u): real traffic from this test to 127.0.0.1 only, through
// the host ports the container publishes. Also what a bad or busy port
// leaves behind: nothing.
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE, importBusybox } from '../../fixtures/busybox.js';
import { buildHostBinariesTar } from '../../fixtures/host-binaries.js';
import { canBind, fetchText } from '../../helpers/net.js';
import { freePort, newTestEnv, poll, uniqueName, type TestEnv } from '../../helpers/skiff.js';

const IMG = BUSYBOX_IMAGE;
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

function netnsFiles(): string[] {
  const dir = join(env.runroot, 'netns');
  return existsSync(dir) ? readdirSync(dir) : [];
}

async function httpd(name: string, publish: string[], network: string): Promise<void> {
  await env.skiff(['run', '-d', '--name', name, '--network', network, ...publish.flatMap((p) => ['-p', p]), IMG, 'httpd', '-f', '-p', '80', '-h', '/etc']);
}

for (const net of ['slirp4netns', 'pasta']) {

  test.serial(`${net}: -p HOSTPORT:80 serves busybox httpd on the host; port, ps and inspect show it`, async (t) => {
    const name = uniqueName('web');
    const port = await freePort();
    await httpd(name, [`${port}:80`], net);
    const body = await poll(() => fetchText(port));
    t.is(body?.trim(), (await env.skiff(['inspect', '--format', '{{.Config.Hostname}}', name])).stdout);
    t.is((await env.skiff(['port', name])).stdout, `80/tcp -> 0.0.0.0:${port}`);
    t.is((await env.skiff(['port', name, '80'])).stdout, `0.0.0.0:${port}`);
    t.is((await env.skiff(['ps', '--filter', `name=${name}`, '--format', '{{.Ports}}'])).stdout, `0.0.0.0:${port}->80/tcp`);
    const inspect = JSON.parse((await env.skiff(['inspect', name])).stdout)[0];
    t.deepEqual(inspect.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '', HostPort: String(port) }] });
    t.deepEqual(inspect.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: String(port) }] });
    await env.skiff(['rm', '-f', '-t0', name]);
    t.true(await poll(() => canBind(port)), 'the host port is free again after rm -f');
  });

  test.serial(`${net}: -p 127.0.0.1::80 gets a random host port, bound before the start and shown by port`, async (t) => {
    const name = uniqueName('rnd');
    await env.skiff(['create', '--name', name, '--network', net, '-p', '127.0.0.1::80', IMG, 'httpd', '-f', '-p', '80', '-h', '/etc']);
    const line = (await env.skiff(['port', '-a'])).stdout;
    t.is(line, '', 'a created container publishes nothing yet');
    const mapped = JSON.parse((await env.skiff(['inspect', name])).stdout)[0].HostConfig.PortBindings['80/tcp'][0];
    t.is(mapped.HostIp, '127.0.0.1');
    const port = Number(mapped.HostPort);
    t.true(port > 0 && port < 65536, String(port));
    await env.skiff(['start', name]);
    t.is((await env.skiff(['port', name, '80/tcp'])).stdout, `127.0.0.1:${port}`);
    t.truthy(await poll(() => fetchText(port)));
    await env.skiff(['rm', '-f', '-t0', name]);
  });

  test.serial(`${net}: a port range and udp: datagrams to each host port reach socat in the container`, async (t) => {
    const name = uniqueName('udp');
    const base = await freePort();
    const host = `${base}-${base + 1}`;
    await env.skiff(['run', '-d', '--name', name, '--network', net, '-p', `${host}:5000-5001/udp`, SOCAT_IMG, 'sh', '-c', 'socat -u UDP-RECV:5001 STDOUT & exec socat -u UDP-RECV:5000 STDOUT']);
    t.is((await env.skiff(['ps', '--filter', `name=${name}`, '--format', '{{.Ports}}'])).stdout, `0.0.0.0:${host}->5000-5001/udp`);
    const socket = createSocket('udp4');
    try {
      const seen = await poll(async () => {
        socket.send('to-5000\n', base, '127.0.0.1');
        socket.send('to-5001\n', base + 1, '127.0.0.1');
        const logs = (await env.skiff(['logs', name])).stdout;
        return logs.includes('to-5000') && logs.includes('to-5001') ? logs : '';
      }, 10_000, 300);
      t.truthy(seen);
    } finally {
      socket.close();
      await env.skiff(['rm', '-f', '-t0', name]);
    }
  });

  test.serial(`${net}: -P publishes the --expose ports on random host ports`, async (t) => {
    const name = uniqueName('pall');
    await env.skiff(['run', '-d', '--name', name, '--network', net, '-P', '--expose', '80', '--expose', '9000/udp', IMG, 'httpd', '-f', '-p', '80', '-h', '/etc']);
    const lines = (await env.skiff(['port', name])).lines;
    t.is(lines.length, 2, lines.join('\n'));
    const tcp = /^80\/tcp -> 0\.0\.0\.0:(\d+)$/.exec(lines.find((l) => l.startsWith('80/')) ?? '');
    t.truthy(tcp, lines.join('\n'));
    t.regex(lines.find((l) => l.startsWith('9000/')) ?? '', /^9000\/udp -> 0\.0\.0\.0:\d+$/);
    t.truthy(await poll(() => fetchText(Number(tcp![1]))));
    await env.skiff(['rm', '-f', '-t0', name]);
  });

  test.serial(`${net}: the server in the container sees a host client as the host itself, not as a forwarder inside`, async (t) => {
    const name = uniqueName('src');
    const port = await freePort();
    await env.skiff(['run', '-d', '--name', name, '--network', net, '-p', `${port}:80`, IMG, 'httpd', '-f', '-vv', '-p', '80', '-h', '/etc']);
    t.truthy(await poll(() => fetchText(port)));
    const r = await env.skiff(['logs', name]);
    const logs = r.stdout + r.stderr;
    // A client on the host's loopback: slirp4netns shows it as its gateway (the host), pasta as 127.0.0.1 (the host's loopback, spliced).
    const expected = net === 'slirp4netns' ? '10.0.2.2' : '127.0.0.1';
    t.regex(logs, new RegExp(`\\[::ffff:${expected.replace(/\./g, '\\.')}\\]:\\d+: url:/hostname`), logs);
    await env.skiff(['rm', '-f', '-t0', name]);
  });

  test.serial(`${net}: a host port in use: one-line error naming it, exit 125, nothing left behind with --rm`, async (t) => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '0.0.0.0', () => resolve()));
    try {
      const before = (await env.skiff(['ps', '-aq'])).stdout;
      const name = uniqueName('busy');
      const r = await env.skiff(['run', '--rm', '--network', net, '--name', name, '-p', `${port}:80`, IMG, 'true'], { exit: 125 });
      t.is(r.stderr.trim(), `Error: rootlessport listen tcp 0.0.0.0:${port}: bind: address already in use`);
      t.is((await env.skiff(['ps', '-aq'])).stdout, before, 'no container record left');
      t.deepEqual(netnsFiles(), [], 'no network namespace left');
      const other = await freePort();
      const udp = createSocket('udp4');
      await new Promise<void>((resolve) => udp.bind(other, '0.0.0.0', () => resolve()));
      try {
        const u = await env.skiff(['run', '--rm', '--network', net, '-p', `${other}:53/udp`, IMG, 'true'], { exit: 125 });
        t.is(u.stderr.trim(), `Error: rootlessport listen udp 0.0.0.0:${other}: bind: address already in use`);
      } finally {
        udp.close();
      }
    } finally {
      holder.close();
    }
  });

  test.serial(`${net}: a privileged host port fails with podman's hint, exit 125`, async (t) => {
    const r = await env.skiff(['run', '--rm', '--network', net, '-p', '80:80', IMG, 'true'], { exit: 125 });
    t.regex(r.stderr.trim(), /^Error: rootlessport cannot expose privileged port 80, you can add 'net\.ipv4\.ip_unprivileged_port_start=80' to \/etc\/sysctl\.conf \(currently \d+\), or choose a larger port number \(>= \d+\): listen tcp 0\.0\.0\.0:80: bind: permission denied$/);
  });

  test.serial(`${net}: a container that exits at once frees its host port`, async (t) => {
    const port = await freePort();
    await env.skiff(['run', '--rm', '--network', net, '-p', `${port}:80`, IMG, 'true']);
    t.true(await canBind(port), 'the port is free as soon as run returns');
    await env.skiff(['run', '--rm', '--network', net, '-p', `${port}:80`, IMG, 'true']);
  });

  test.serial(`${net}: a monitor killed with -9 frees the port: the next run on it works`, async (t) => {
    const name = uniqueName('k9');
    const port = await freePort();
    await httpd(name, [`${port}:80`], net);
    t.truthy(await poll(() => fetchText(port)));
    const monitor = Number((await env.skiff(['inspect', '--format', '{{.State.ConmonPid}}', name])).stdout);
    t.true(monitor > 0);
    process.kill(monitor, 'SIGKILL');
    // slirp4netns dies with its monitor (exit fd); pasta, as podman's, runs until the repair removes the namespace.
    if (net === 'slirp4netns') t.true(await poll(() => canBind(port)), 'slirp4netns died with its monitor');
    await env.skiff(['rm', '-f', '-t0', name]);
    t.true(await poll(() => canBind(port)), 'the port is free after rm');
    const again = uniqueName('k9b');
    await httpd(again, [`${port}:80`], net);
    t.truthy(await poll(() => fetchText(port)));
    await env.skiff(['rm', '-f', '-t0', again]);
  });
}

test.serial('-P publishes the image\'s EXPOSE ports; without -P inspect lists them unpublished (null), as podman', async (t) => {
  const image = 'localhost/exposed';
  const tarball = await buildHostBinariesTar([]);
  await env.skiff(['import', '--change', 'EXPOSE 80', '--change', 'EXPOSE 53/udp', tarball, image]);
  await rm(tarball, { force: true });
  const plain = uniqueName('exp');
  await env.skiff(['create', '--name', plain, image, 'true']);
  const inspect = JSON.parse((await env.skiff(['inspect', plain])).stdout)[0];
  t.deepEqual(inspect.NetworkSettings.Ports, { '53/udp': null, '80/tcp': null });
  t.deepEqual(inspect.HostConfig.PortBindings, { '53/udp': null, '80/tcp': null });
  t.is((await env.skiff(['ps', '-a', '--filter', `name=${plain}`, '--format', '{{.Ports}}'])).stdout, '');
  const all = uniqueName('expP');
  await env.skiff(['run', '-d', '--name', all, '-P', image, 'httpd', '-f', '-p', '80', '-h', '/etc']);
  const lines = (await env.skiff(['port', all])).lines.sort();
  t.is(lines.length, 2, lines.join('\n'));
  t.regex(lines[0], /^53\/udp -> 0\.0\.0\.0:\d+$/);
  t.regex(lines[1], /^80\/tcp -> 0\.0\.0\.0:\d+$/);
  t.truthy(await poll(() => fetchText(Number(lines[1].split(':').pop()))));
  await env.skiff(['rm', '-f', '-t0', plain, all]);
});

test.serial('a -p with garbage fails with podman\'s message and creates nothing', async (t) => {
  const name = uniqueName('bad');
  const r = await env.skiff(['run', '--name', name, '-p', '80:garbage', IMG, 'true'], { exit: 125 });
  t.is(r.stderr.trim(), 'Error: parsing container port: invalid port number: strconv.Atoi: parsing "garbage": invalid syntax');
  await env.skiff(['container', 'exists', name], { exit: 1 });
});

test.serial('an IPv6 host address with slirp4netns is refused before anything is created (its API binds IPv4 only)', async (t) => {
  const name = uniqueName('v6');
  const r = await env.skiff(['run', '--name', name, '--network', 'slirp4netns', '-p', '[::1]:8080:80', IMG, 'true'], { exit: 125 });
  t.is(r.stderr.trim(), 'Error: slirp4netns cannot publish ports on the IPv6 host address ::1: use --network pasta');
  await env.skiff(['container', 'exists', name], { exit: 1 });
});

test.serial('pasta publishes on an IPv6 host address', async (t) => {
  const name = uniqueName('v6p');
  const port = await freePort();
  await env.skiff(['run', '-d', '--name', name, '--network', 'pasta', '-p', `[::1]:${port}:80`, IMG, 'httpd', '-f', '-p', '80', '-h', '/etc']);
  t.is((await env.skiff(['port', name])).stdout, `80/tcp -> ::1:${port}`);
  const body = await poll(() => new Promise<string | undefined>((resolve) => {
    const req = get({ host: '::1', port, path: '/hostname', timeout: 2000 }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => resolve(res.statusCode === 200 ? text : undefined));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => { req.destroy(); resolve(undefined); });
  }));
  t.truthy(body);
  await env.skiff(['rm', '-f', '-t0', name]);
});

test.serial('the same host port twice in one run is refused before anything is created', async (t) => {
  const name = uniqueName('twice');
  const port = await freePort();
  const r = await env.skiff(['run', '--name', name, '-p', `${port}:80`, '-p', `${port}:81`, IMG, 'true'], { exit: 125 });
  t.is(r.stderr.trim(), `Error: conflicting port mappings for host port ${port} (protocol tcp)`);
  await env.skiff(['container', 'exists', name], { exit: 1 });
});

test.serial('-p with --network host or none: podman\'s warning, bare on stderr as podman prints it, and the container runs', async (t) => {
  for (const network of ['host', 'none']) {
    const r = await env.skiff(['run', '--rm', '-p', '8080', `--net=${network}`, IMG, 'echo', 'ran']);
    t.is(r.stdout, 'ran');
    t.is(r.stderr, 'Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are in use', network);
  }
});
