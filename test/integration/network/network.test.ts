// Network modes: none (loopback only), host (the host's interfaces), and the
// slirp4netns (10.0.2.100 on tap0, host loopback as 10.0.2.2 when
// allowed). Only a server this test starts on 127.0.0.1 is ever contacted.
import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import test from 'ava';
import { BUSYBOX_IMAGE, importBusybox } from '../../fixtures/busybox.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

const IMG = BUSYBOX_IMAGE;
let env: TestEnv;
let server: Server | undefined;
let port = 0;
const hits: string[] = [];

test.before(async () => {
  env = await newTestEnv();
  await importBusybox(env);
  server = createServer((req, res) => {
    hits.push(`${req.socket.remoteAddress} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
    res.end('pong\n');
  });
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject);
    server!.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

test.after.always(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await env?.cleanup();
});

/** Interface names from /proc/net/dev (skipping its two header lines). */
function interfaces(procNetDev: string): string[] {
  return procNetDev
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0]!.trim())
    .filter(Boolean)
    .sort();
}

test.serial('--network none has only lo', async (t) => {
  const r = await env.skiff(['run', '--rm', '--network', 'none', IMG, 'cat', '/proc/net/dev']);
  t.deepEqual(interfaces(r.stdout), ['lo']);
});

test.serial('--network host sees the host interfaces', async (t) => {
  const r = await env.skiff(['run', '--rm', '--network', 'host', IMG, 'cat', '/proc/net/dev']);
  const inside = interfaces(r.stdout);
  const host = Object.keys(networkInterfaces()).sort();
  for (const name of host) t.true(inside.includes(name), `host interface ${name} missing inside: ${inside.join(' ')}`);
  t.true(inside.length > 1, inside.join(' '));
});

test.serial('slirp4netns: 10.0.2.100 on tap0', async (t) => {
  const r = await env.skiff(['run', '--rm', '--network', 'slirp4netns', IMG, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'tap0']);
  t.regex(r.stdout, /\btap0\s+inet 10\.0\.2\.100\//);
  const route = await env.skiff(['run', '--rm', '--network', 'slirp4netns', IMG, 'ip', 'route']);
  t.regex(route.stdout, /^default via 10\.0\.2\.2 dev tap0/m);
  const dev = await env.skiff(['run', '--rm', '--network', 'slirp4netns', IMG, 'cat', '/proc/net/dev']);
  t.deepEqual(interfaces(dev.stdout), ['lo', 'tap0']);
});

test.serial('slirp4netns with allow_host_loopback reaches a host server as 10.0.2.2', async (t) => {
  const r = await env.skiff(
    ['run', '--rm', '--network', 'slirp4netns:allow_host_loopback=true', IMG, 'wget', '-q', '-O', '-', `http://10.0.2.2:${port}/ping`],
    { timeout: 60_000 },
  );
  t.is(r.stdout, 'pong');
  t.true(hits.some((h) => h.endsWith(' /ping')), hits.join('\n'));
});

test.serial('slirp4netns without allow_host_loopback cannot reach host loopback', async (t) => {
  const before = hits.length;
  // wget exits 1 when the connection fails; the container's code passes through.
  // (No -T: busybox-static's wget crashes with SIGSEGV on -T.)
  await env.skiff(['run', '--rm', '--network', 'slirp4netns', IMG, 'wget', '-q', '-O', '-', `http://10.0.2.2:${port}/denied`], {
    exit: 1,
    timeout: 60_000,
  });
  t.false(hits.slice(before).some((h) => h.endsWith(' /denied')));
});
