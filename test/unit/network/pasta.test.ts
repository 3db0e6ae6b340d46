// pasta's command line as podman 5 builds it, and the address it gives.
import test from 'ava';
import { pastaAddress, pastaArgs } from '../../../src/network/pasta.js';

const NS = '/run/x/netns/abc';

test('no ports: nothing forwarded either way, gateway not mapped, DNS forwarded', (t) => {
  t.deepEqual(pastaArgs(NS, [], []), [
    '--config-net', '-t', 'none', '-u', 'none', '-T', 'none', '-U', 'none', '--no-map-gw', '--dns-forward', '169.254.1.1', '--quiet', '--netns', NS,
  ]);
});

test('published ports become -t/-u ranges, with the host address as ADDR/', (t) => {
  const args = pastaArgs(NS, [
    { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp', range: 1 },
    { hostIp: '127.0.0.1', hostPort: 8000, containerPort: 90, protocol: 'udp', range: 3 },
  ], [], '/run/x/pid');
  t.deepEqual(args.slice(0, 5), ['--config-net', '-t', '8080-8080:80-80', '-u', '127.0.0.1/8000-8002:90-92']);
  t.false(args.join(' ').includes('-t none') || args.join(' ').includes('-u none'), 'no "-t none" when ports are forwarded');
  t.deepEqual(args.slice(-4), ['--pid', '/run/x/pid', '--netns', NS]);
});

test('the user\'s options go in as given and replace the defaults they name; --map-gw drops --no-map-gw', (t) => {
  const args = pastaArgs(NS, [], ['-T', '8080', '--map-gw', '-I', 'eth7']);
  t.true(args.join(' ').includes('-T 8080 -I eth7'), args.join(' '));
  t.false(args.includes('--no-map-gw'));
  t.false(args.includes('--map-gw'));
  t.is(args.filter((a) => a === '-T').length, 1);
});

test('sctp cannot be forwarded by pasta', (t) => {
  t.is(t.throws(() => pastaArgs(NS, [{ hostIp: '', hostPort: 9, containerPort: 9, protocol: 'sctp', range: 1 }], []))?.message, "can't forward protocol: sctp");
});

const ROUTES = 'Iface\tDestination\tGateway \tFlags\n' + 'eth0\t00000000\t0102000A\t0003\n' + 'eth0\t0002000A\t00000000\t0001\n';
const IFACES = { eth0: [{ address: '10.0.2.15', family: 'IPv4', internal: false }], lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }] } as never;

test('pasta copies the address of the host interface with the default route, unless -a says otherwise', (t) => {
  t.is(pastaAddress([], ROUTES, IFACES), '10.0.2.15');
  t.is(pastaAddress(['-a', '192.168.7.7'], ROUTES, IFACES), '192.168.7.7');
  t.is(pastaAddress(['--address=192.168.7.8'], ROUTES, IFACES), '192.168.7.8');
  t.is(pastaAddress([], 'Iface\tDestination\n', IFACES), undefined);
});
