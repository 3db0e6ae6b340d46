// Containers on user networks (run --network NAME): veth pairs into bridges
// of the rootless network namespace made by netavark, addresses from skiff's
// locked IP leases, names answered by aardvark-dns. All traffic stays between
// containers this file starts; no outside name is ever resolved.
// busybox wget -T crashes (exit 139): timeouts come from the timeout applet.
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE as IMG } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { sleep, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

interface InspectedNetwork {
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
  NetworkID: string;
  Aliases: string[];
}

async function networksOf(name: string): Promise<Record<string, InspectedNetwork>> {
  const r = await env.skiff(['container', 'inspect', '--format', '{{json .NetworkSettings.Networks}}', name]);
  return JSON.parse(r.stdout) as Record<string, InspectedNetwork>;
}

/** Starts busybox httpd serving /etc on port 80 (its /hostname tells who answered). */
async function startWeb(name: string, args: string[]): Promise<void> {
  await env.skiff(['run', '-d', '--name', name, ...args, IMG, 'httpd', '-f', '-p', '80', '-h', '/etc']);
}

test.serial('two containers on one network reach each other by IP, by name and by alias', async (t) => {
  await env.skiff(['network', 'create', '--subnet', '10.89.40.0/24', 'talk']);
  const web = uniqueName('web');
  await startWeb(web, ['--network', 'talk', '--network-alias', 'www', '--hostname', 'webhost']);
  const nets = await networksOf(web);
  t.deepEqual(Object.keys(nets), ['talk']);
  const ip = nets.talk!.IPAddress;
  t.is(ip, '10.89.40.2');
  t.is(nets.talk!.IPPrefixLen, 24);
  t.is(nets.talk!.Gateway, '10.89.40.1');
  t.regex(nets.talk!.MacAddress, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  t.is(nets.talk!.NetworkID, 'talk');
  t.true(nets.talk!.Aliases.includes('www'), nets.talk!.Aliases.join(','));

  for (const target of [ip, web, 'www']) {
    const r = await env.skiff(['run', '--rm', '--network', 'talk', IMG, 'timeout', '5', 'wget', '-q', '-O', '-', `http://${target}/hostname`]);
    t.is(r.stdout, 'webhost', target);
  }
  const resolv = await env.skiff(['run', '--rm', '--network', 'talk', IMG, 'cat', '/etc/resolv.conf']);
  t.regex(resolv.stdout, /^search dns\.podman/m);
  // aardvark-dns first, then the host's nameservers (loopback ones left out), as podman 4.3 writes it.
  const hostServers = (await readFile('/etc/resolv.conf', 'utf8')).split('\n').map((l) => /^nameserver\s+(\S+)/.exec(l)?.[1]).filter((ns): ns is string => ns !== undefined && !ns.startsWith('127.'));
  t.deepEqual(resolv.lines.filter((l) => l.startsWith('nameserver')), ['nameserver 10.89.40.1', ...hostServers.map((ns) => `nameserver ${ns}`)]);
  const lookup = await env.skiff(['run', '--rm', '--network', 'talk', IMG, 'nslookup', web]);
  t.regex(lookup.stdout, new RegExp(`Address:? ${ip.replace(/\./g, '\\.')}`));

  t.deepEqual((await env.skiff(['ps', '--filter', 'network=talk', '--format', '{{.Names}}'])).lines, [web]);
  t.deepEqual((await env.skiff(['ps', '--filter', 'network=other', '--format', '{{.Names}}'])).lines, []);
  await env.skiff(['rm', '-f', '-t', '0', web]);
  await env.skiff(['network', 'rm', 'talk']);
});

test.serial('containers on different networks can neither resolve nor reach each other', async (t) => {
  await env.skiff(['network', 'create', '--subnet', '10.89.41.0/24', 'red']);
  await env.skiff(['network', 'create', '--subnet', '10.89.42.0/24', 'blue']);
  const web = uniqueName('redweb');
  await startWeb(web, ['--network', 'red']);
  const ip = (await networksOf(web)).red!.IPAddress;
  // The control: from red it works.
  await env.skiff(['run', '--rm', '--network', 'red', IMG, 'timeout', '5', 'wget', '-q', '-O', '/dev/null', `http://${ip}/hostname`]);
  const byName = await env.skiff(['run', '--rm', '--network', 'blue', IMG, 'nslookup', web], { exit: 1 });
  t.notRegex(byName.stdout, new RegExp(ip.replace(/\./g, '\\.')));
  const reach = await env.skiff(['run', '--rm', '--network', 'blue', IMG, 'sh', '-c', `timeout 3 wget -q -O /dev/null http://${ip}/hostname && echo reached || echo unreachable`]);
  t.is(reach.stdout, 'unreachable');
  await env.skiff(['rm', '-f', '-t', '0', web]);
  await env.skiff(['network', 'rm', 'red', 'blue']);
});

test.serial('a container on two networks has an interface and an address on each', async (t) => {
  await env.skiff(['network', 'create', '--subnet', '10.89.43.0/24', 'one']);
  await env.skiff(['network', 'create', '--subnet', '10.89.44.0/24', 'two']);
  const r = await env.skiff(['run', '--rm', '--network', 'one', '--network', 'two:ip=10.89.44.77,mac=02:00:00:00:00:77', IMG, 'ip', '-o', 'addr']);
  t.regex(r.stdout, /eth0\s+inet 10\.89\.43\.2\/24/);
  t.regex(r.stdout, /eth1\s+inet 10\.89\.44\.77\/24/);
  const link = await env.skiff(['run', '--rm', '--network', 'two', '--mac-address', '02:00:00:00:00:78', '--ip', '10.89.44.78', IMG, 'ip', '-o', 'link', 'show', 'eth0']);
  t.regex(link.stdout, /link\/ether 02:00:00:00:00:78/);
  await env.skiff(['run', '--rm', '--network', 'two', '--ip', '10.89.45.1', IMG, 'true'], { exit: 125 }).then((bad) => t.regex(bad.stderr, /10\.89\.45\.1 is not in any subnet of network two/));
  await env.skiff(['run', '--rm', '--network', 'nosuch', IMG, 'true'], { exit: 125 }).then((bad) => t.is(bad.stderr, 'Error: unable to find network with name or ID nosuch: network not found'));
  const flagErrors: Array<[string[], string]> = [
    [['--network', 'one', '--network', 'two', '--ip', '10.89.43.9'], 'Error: --ip can only be set for a single network: invalid argument'],
    [['--network', 'one', '--network', 'two', '--mac-address', '02:00:00:00:00:01'], 'Error: --mac-address can only be set for a single network: invalid argument'],
    [['--network', 'one', '--ip', 'ten'], 'Error: "ten" is not an ip address'],
    [['--ip', '10.0.2.50'], 'Error: --ip can only be set when the network mode is bridge: invalid argument'],
    [['--network', 'none', '--network-alias', 'x'], 'Error: --network-alias can only be set when the network mode is bridge: invalid argument'],
  ];
  for (const [args, message] of flagErrors) {
    t.is((await env.skiff(['create', ...args, IMG, 'true'], { exit: 125 })).stderr, message, args.join(' '));
  }
  t.deepEqual((await env.skiff(['ps', '-aq'])).lines, []);
  // bridge is podman's default network, 10.88.0.0/16, never created by hand.
  const bridge = await env.skiff(['run', '--rm', '--network', 'bridge', IMG, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
  t.regex(bridge.stdout, /inet 10\.88\.0\.\d+\/16/);
  await env.skiff(['network', 'rm', 'one', 'two']);
});

test.serial('20 containers started at once get 20 different addresses; a removed one gives its address back', async (t) => {
  await env.skiff(['network', 'create', '--subnet', '10.89.50.0/24', 'crowd']);
  const names = Array.from({ length: 20 }, (_, i) => uniqueName(`c${i}`));
  await Promise.all(names.map((n) => env.skiff(['run', '-d', '--name', n, '--network', 'crowd', IMG, 'sleep', '1000'], { timeout: 120_000 })));
  const ips = await Promise.all(names.map(async (n) => (await networksOf(n)).crowd!.IPAddress));
  t.is(new Set(ips).size, 20, ips.join(' '));
  for (const ip of ips) t.regex(ip, /^10\.89\.50\.\d+$/);

  const freed = ips[7]!;
  const taken = ips[8]!;
  const clash = await env.skiff(['run', '--rm', '--network', 'crowd', '--ip', taken, IMG, 'true'], { exit: 125 });
  t.regex(clash.stderr, new RegExp(`requested ip address ${taken.replace(/\./g, '\\.')} is already allocated to container ID [0-9a-f]{64}`));
  await env.skiff(['rm', '-f', '-t', '0', names[7]!]);
  const again = await env.skiff(['run', '--rm', '--network', 'crowd', '--ip', freed, IMG, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
  t.regex(again.stdout, new RegExp(`inet ${freed.replace(/\./g, '\\.')}/24`));
  // Busy, with -f: its containers go with it (podman's network rm -f).
  const busy = await env.skiff(['network', 'rm', 'crowd'], { exit: 2 });
  t.is(busy.stderr, 'Error: "crowd" has associated containers with it. Use -f to forcibly delete containers and pods: network is being used');
  await env.skiff(['network', 'rm', '-f', '-t', '0', 'crowd'], { timeout: 120_000 });
  t.deepEqual((await env.skiff(['ps', '-aq'])).lines, []);
  // The last container gone, the rootless network namespace goes too (podman's rootless-netns cleanup).
  t.false(await exists(join(env.runroot, 'networks', 'rootless-netns')));
});

test.serial('a monitor killed with -9: the next command tears the network down and gives the address back', async (t) => {
  await env.skiff(['network', 'create', '--subnet', '10.89.51.0/24', 'killed']);
  const name = uniqueName('orphan');
  await env.skiff(['run', '-d', '--name', name, '--network', 'killed', IMG, 'sleep', '1000']);
  const ip = (await networksOf(name)).killed!.IPAddress;
  const [monitorPid, pid] = (await env.skiff(['container', 'inspect', '--format', '{{.State.ConmonPid}} {{.State.Pid}}', name])).stdout.split(' ').map(Number) as [number, number];
  process.kill(monitorPid, 'SIGKILL');
  process.kill(pid, 'SIGKILL');
  await sleep(300);
  await env.skiff(['rm', name], { timeout: 30_000 });
  // Its address is free again: a static claim of it succeeds.
  const again = await env.skiff(['run', '--rm', '--network', 'killed', '--ip', ip, IMG, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
  t.regex(again.stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
  t.false(await exists(join(env.runroot, 'networks', 'rootless-netns')));
  await env.skiff(['network', 'rm', 'killed']);
});

// Rootless, the way out of a user network is the rootless network
// namespace's slirp4netns: its virtual gateway 10.0.2.2 answers pings
// itself, so reaching it proves egress without any traffic leaving the
// machine (the host's loopback stays closed to user networks, as podman's).
test.serial('an --internal network has no way out, even with a default route the container adds itself', async (t) => {
  await env.skiff(['network', 'create', '--subnet', '10.89.46.0/24', 'open']);
  await env.skiff(['network', 'create', '--internal', '--subnet', '10.89.47.0/24', 'closed']);
  const ping = 'ping -c 1 -W 2 10.0.2.2 >/dev/null 2>&1 && echo out || echo no-way-out';
  const open = await env.skiff(['run', '--rm', '--cap-add', 'NET_RAW', '--network', 'open', IMG, 'sh', '-c', ping]);
  t.is(open.stdout, 'out');
  const routes = await env.skiff(['run', '--rm', '--network', 'closed', IMG, 'ip', 'route']);
  t.false(routes.stdout.includes('default'), routes.stdout);
  const closed = await env.skiff(['run', '--rm', '--cap-add', 'NET_RAW', '--cap-add', 'NET_ADMIN', '--network', 'closed', IMG, 'sh', '-c', `ip route add default via 10.89.47.1; ${ping}`]);
  t.is(closed.stdout, 'no-way-out');
  await env.skiff(['network', 'rm', 'open', 'closed']);
});

test.serial('network connect and disconnect a running container; reload keeps its addresses', async (t) => {
  await env.skiff(['network', 'create', '--subnet', '10.89.48.0/24', 'front']);
  await env.skiff(['network', 'create', '--subnet', '10.89.49.0/24', 'back']);
  const db = uniqueName('db');
  const app = uniqueName('app');
  await startWeb(db, ['--network', 'back', '--hostname', 'dbhost']);
  await env.skiff(['run', '-d', '--name', app, '--network', 'front', IMG, 'sleep', '1000']);
  const fetch = ['exec', app, 'sh', '-c', 'timeout 5 wget -q -O - http://dbalias/hostname || echo unreachable'];
  t.is((await env.skiff(fetch)).stdout, 'unreachable');

  await env.skiff(['network', 'connect', '--alias', 'dbalias', '--ip', '10.89.48.200', 'front', db]);
  const nets = await networksOf(db);
  t.deepEqual(Object.keys(nets).sort(), ['back', 'front']);
  t.is(nets.front!.IPAddress, '10.89.48.200');
  t.is((await env.skiff(fetch)).stdout, 'dbhost');
  const again = await env.skiff(['network', 'connect', 'front', db], { exit: 125 });
  t.regex(again.stderr, /is already connected to network front: network is already connected$/);

  const reloaded = await env.skiff(['network', 'reload', db]);
  t.is(reloaded.stdout.length, 64);
  t.is((await networksOf(db)).front!.IPAddress, '10.89.48.200');
  // The new veth takes a moment before it forwards (seen: up to ~3 s).
  let after = '';
  for (let i = 0; i < 5 && after !== 'dbhost'; i++) after = (await env.skiff(fetch)).stdout;
  t.is(after, 'dbhost');

  await env.skiff(['network', 'disconnect', 'front', db]);
  t.deepEqual(Object.keys(await networksOf(db)), ['back']);
  const links = await env.skiff(['exec', db, 'ip', '-o', 'link']);
  t.false(links.stdout.includes('eth1'), links.stdout);
  t.is((await env.skiff(fetch)).stdout, 'unreachable');
  const notOn = await env.skiff(['network', 'disconnect', 'front', db], { exit: 125 });
  t.regex(notOn.stderr, /is not connected to network front$/);
  await env.skiff(['rm', '-f', '-t', '0', db, app]);
  await env.skiff(['network', 'rm', 'front', 'back']);
});

test.serial('stop and start again: the container is set up on its network anew, by the same name', async (t) => {
  await env.skiff(['network', 'create', '--subnet', '10.89.52.0/24', 'again']);
  const web = uniqueName('again');
  await startWeb(web, ['--network', 'again', '--hostname', 'againhost']);
  t.deepEqual((await env.skiff(['network', 'ls', '-q', '--filter', 'dangling=false'])).lines, ['again']);
  await env.skiff(['stop', '-t', '0', web]);
  t.is((await networksOf(web)).again!.IPAddress, '');
  await env.skiff(['start', web]);
  t.regex((await networksOf(web)).again!.IPAddress, /^10\.89\.52\.\d+$/);
  const r = await env.skiff(['run', '--rm', '--network', 'again', IMG, 'timeout', '5', 'wget', '-q', '-O', '-', `http://${web}/hostname`]);
  t.is(r.stdout, 'againhost');
  await env.skiff(['network', 'rm', '-f', '-t', '0', 'again']);
});
