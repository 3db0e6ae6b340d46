// User network management (network create/ls/inspect/exists/rm/prune) as
// podman's netavark backend keeps them: one config per network, the default
// `podman` network always listed, podman's automatic names and subnets, and
// podman's errors for bad input. No container traffic here (networks-run).
import test from 'ava';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;

test.before(async () => {
  env = await newTestEnv();
});

test.after.always(async () => {
  await env?.cleanup();
});

interface NetworkJson {
  name: string;
  id: string;
  driver: string;
  network_interface: string;
  subnets: Array<{ subnet: string; gateway?: string; lease_range?: { start_ip: string; end_ip: string } }>;
  ipv6_enabled: boolean;
  internal: boolean;
  dns_enabled: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  ipam_options: { driver: string };
}

async function inspect(name: string): Promise<NetworkJson> {
  const r = await env.skiff(['network', 'inspect', name]);
  return (JSON.parse(r.stdout) as NetworkJson[])[0]!;
}

test.serial('the default podman network is listed and inspected without being created', async (t) => {
  const ls = await env.skiff(['network', 'ls']);
  t.deepEqual(ls.lines.map((l) => l.split(/\s+/)), [['NETWORK', 'ID', 'NAME', 'DRIVER'], ['2f259bab93aa', 'podman', 'bridge']]);
  const podman = await inspect('podman');
  t.is(podman.id, '2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9');
  t.deepEqual(podman.subnets, [{ subnet: '10.88.0.0/16', gateway: '10.88.0.1' }]);
  t.is(podman.network_interface, 'podman0');
  await env.skiff(['network', 'rm', 'podman'], { exit: 125 }).then((r) => t.is(r.stderr, 'Error: default network podman cannot be removed'));
});

test.serial('create picks podman names, bridges and 10.89.N.0/24 subnets, skipping used ones', async (t) => {
  const first = await env.skiff(['network', 'create']);
  t.is(first.stdout, 'podman1');
  await env.skiff(['network', 'create', '--subnet', '10.89.1.0/24', 'taken']);
  const third = await env.skiff(['network', 'create']);
  t.is(third.stdout, 'podman2');
  const n1 = await inspect('podman1');
  const n3 = await inspect('podman2');
  t.deepEqual(n1.subnets, [{ subnet: '10.89.0.0/24', gateway: '10.89.0.1' }]);
  t.deepEqual(n3.subnets, [{ subnet: '10.89.2.0/24', gateway: '10.89.2.1' }]);
  t.is(n1.network_interface, 'podman1');
  t.is((await inspect('taken')).network_interface, 'podman2');
  t.is(n3.network_interface, 'podman3');
  t.regex(n1.id, /^[0-9a-f]{64}$/);
  t.true(n1.dns_enabled);
  // By id prefix too.
  t.is((await inspect(n1.id.slice(0, 10))).name, 'podman1');
  await env.skiff(['network', 'rm', 'podman1', 'podman2', 'taken']);
});

test.serial('create keeps subnet, gateway, range, labels, mtu, internal, ipv6 and disable-dns', async (t) => {
  await env.skiff(['network', 'create', '--subnet', '192.168.55.0/24', '--gateway', '192.168.55.3', '--ip-range', '192.168.55.128/25', '--label', 'app=web', '--label', 'tier', '-o', 'mtu=1400', 'lan']);
  const lan = await inspect('lan');
  t.deepEqual(lan.subnets, [{ subnet: '192.168.55.0/24', gateway: '192.168.55.3', lease_range: { start_ip: '192.168.55.129', end_ip: '192.168.55.254' } }]);
  t.deepEqual(lan.labels, { app: 'web', tier: '' });
  t.deepEqual(lan.options, { mtu: '1400' });
  t.deepEqual(Object.keys(lan), ['name', 'id', 'driver', 'network_interface', 'created', 'subnets', 'ipv6_enabled', 'internal', 'dns_enabled', 'labels', 'options', 'ipam_options']);

  await env.skiff(['network', 'create', '--internal', '--disable-dns', '--ipv6', 'in6']);
  const in6 = await inspect('in6');
  t.true(in6.internal);
  t.false(in6.dns_enabled);
  t.true(in6.ipv6_enabled);
  t.is(in6.subnets.length, 2);
  t.regex(in6.subnets[1]!.subnet, /^fd[0-9a-f]{2}:[0-9a-f:]+\/64$/);
  // podman: an internal network without DNS has no gateway.
  t.is(in6.subnets[0]!.gateway, undefined);

  const tmpl = await env.skiff(['network', 'inspect', '--format', '{{.Name}} {{.Internal}} {{.DNSEnabled}} {{range .Subnets}}{{.Subnet}}{{end}}', 'lan']);
  t.is(tmpl.stdout, 'lan false true 192.168.55.0/24');
  await env.skiff(['network', 'rm', 'lan', 'in6']);
});

const BAD: Array<[string[], string]> = [
  [['--subnet', '10.99.0.0/33', 'x'], 'Error: invalid CIDR address: 10.99.0.0/33'],
  [['--gateway', '10.1.0.1', 'x'], 'Error: cannot set gateway or range without subnet'],
  [['--subnet', '10.98.0.0/24', '--gateway', '10.97.0.1', 'x'], 'Error: gateway 10.97.0.1 not in subnet 10.98.0.0/24'],
  [['--subnet', '10.98.0.0/24', '--ip-range', '10.97.0.0/28', 'x'], 'Error: lease range start ip 10.97.0.1 not in subnet 10.98.0.0/24'],
  [['-d', 'macvlan2', 'x'], 'Error: unsupported driver macvlan2: invalid argument'],
  [['bad name!'], 'Error: network name bad name! invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument'],
  [['-o', 'foo=1', 'x'], 'Error: unsupported bridge network option foo'],
  [['--subnet', '10.88.3.0/24', 'x'], 'Error: subnet 10.88.3.0/24 is already used on the host or by another config'],
  [['podman'], 'Error: network name podman already used: network already exists'],
];

test.serial('create refuses bad input with podman\'s errors and stores nothing', async (t) => {
  for (const [args, message] of BAD) {
    const r = await env.skiff(['network', 'create', ...args], { exit: 125 });
    t.is(r.stderr, message, args.join(' '));
  }
  t.deepEqual((await env.skiff(['network', 'ls', '-q'])).lines, ['podman']);
  await env.skiff(['network', 'create', 'dup']);
  t.is((await env.skiff(['network', 'create', 'dup'], { exit: 125 })).stderr, 'Error: network name dup already used: network already exists');
  t.is((await env.skiff(['network', 'create', '--ignore', 'dup'])).stdout, 'dup');
  await env.skiff(['network', 'rm', 'dup']);
});

test.serial('ls filters, formats, -q and --no-trunc; exists; inspect of a missing network', async (t) => {
  await env.skiff(['network', 'create', '--label', 'team=a', 'alpha']);
  await env.skiff(['network', 'create', '--label', 'team=b', 'beta']);
  const alpha = await inspect('alpha');
  t.deepEqual((await env.skiff(['network', 'ls', '-q'])).lines, ['alpha', 'beta', 'podman']);
  t.deepEqual((await env.skiff(['network', 'ls', '-q', '--filter', 'name=^al'])).lines, ['alpha']);
  t.deepEqual((await env.skiff(['network', 'ls', '-q', '--filter', 'label=team=b'])).lines, ['beta']);
  t.deepEqual((await env.skiff(['network', 'ls', '-q', '--filter', 'label!=team'])).lines, ['podman']);
  t.deepEqual((await env.skiff(['network', 'ls', '-q', '--filter', `id=${alpha.id.slice(0, 8)}`])).lines, ['alpha']);
  t.deepEqual((await env.skiff(['network', 'ls', '-q', '--filter', 'driver=bridge', '--filter', 'dangling=true'])).lines, ['alpha', 'beta', 'podman']);
  t.true((await env.skiff(['network', 'ls', '--no-trunc'])).stdout.includes(alpha.id));
  t.deepEqual((await env.skiff(['network', 'ls', '--format', '{{.Name}}:{{.NetworkInterface}}', '--filter', 'name=beta'])).lines, ['beta:podman2']);
  const json = JSON.parse((await env.skiff(['network', 'ls', '--format', 'json', '--filter', 'name=alpha'])).stdout) as NetworkJson[];
  t.is(json[0]!.id, alpha.id);
  t.is((await env.skiff(['network', 'ls', '--filter', 'color=red'], { exit: 125 })).stderr, 'Error: invalid filter "color"');

  await env.skiff(['network', 'exists', 'alpha']);
  await env.skiff(['network', 'exists', 'gamma'], { exit: 1 });
  const missing = await env.skiff(['network', 'inspect', 'gamma'], { exit: 125 });
  t.is(missing.stderr, 'Error: inspecting object: network gamma: unable to find network with name or ID gamma: network not found');
  t.is(missing.stdout, '[]');
  const rm = await env.skiff(['network', 'rm', 'gamma'], { exit: 1 });
  t.is(rm.stderr, 'Error: unable to find network with name or ID gamma: network not found');
  // With --force a missing network is no error and prints nothing (podman's 500-networking "rm --force bogus").
  const forced = await env.skiff(['network', 'rm', '--force', 'gamma']);
  t.is(forced.stdout + forced.stderr, '');

  t.deepEqual((await env.skiff(['network', 'prune', '-f', '--filter', 'label=team=a'])).lines, ['alpha']);
  t.deepEqual((await env.skiff(['network', 'prune', '-f'])).lines, ['beta']);
  t.deepEqual((await env.skiff(['network', 'ls', '-q'])).lines, ['podman']);
});

test.serial('concurrent creates get distinct names, subnets and bridges', async (t) => {
  await Promise.all(Array.from({ length: 6 }, () => env.skiff(['network', 'create'])));
  const all = (JSON.parse((await env.skiff(['network', 'ls', '--format', 'json'])).stdout) as NetworkJson[]).filter((n) => n.name !== 'podman');
  t.is(all.length, 6);
  t.is(new Set(all.map((n) => n.name)).size, 6);
  t.is(new Set(all.map((n) => n.subnets[0]!.subnet)).size, 6);
  t.is(new Set(all.map((n) => n.network_interface)).size, 6);
  await env.skiff(['network', 'prune', '-f']);
});
