// Network planning (network create) and address arithmetic, pure: podman's
// automatic names, bridges and subnets, lease ranges, --network NAME:opts.
import test from 'ava';
import { formatAddress, parseAddress, parseCidr, formatCidr, overlaps } from '../../../src/network/ip.js';
import { parseNetworkRequest, planNetwork, type NetworkConfig, type NetworkCreateInput } from '../../../src/network/network-config.js';

const input = (over: Partial<NetworkCreateInput> = {}): NetworkCreateInput => ({
  driver: 'bridge', subnets: [], gateways: [], ipRanges: [], internal: false, ipv6: false, disableDns: false, labels: {}, options: {}, ...over,
});

test('addresses round-trip in both families, IPv6 compressed as Go prints it', (t) => {
  for (const [text, back] of [['10.89.0.1', '10.89.0.1'], ['fd00::1', 'fd00::1'], ['fd00:0:0:1::', 'fd00:0:0:1::'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['::ffff:10.0.0.1', '::ffff:a00:1']]) {
    const a = parseAddress(text)!;
    t.is(formatAddress(a.family, a.value), back, text);
  }
  t.is(parseAddress('10.0.0.256'), undefined);
  t.is(formatCidr(parseCidr('10.89.3.7/24')!), '10.89.3.0/24');
  t.is(parseCidr('10.0.0.0/33'), undefined);
  t.true(overlaps(parseCidr('10.88.0.0/16')!, parseCidr('10.88.5.0/24')!));
  t.false(overlaps(parseCidr('10.88.0.0/16')!, parseCidr('10.89.0.0/24')!));
});

test('auto names, bridges and subnets skip what existing networks use', (t) => {
  const first = planNetwork(input(), []);
  t.is(first.name, 'podman1');
  t.is(first.network_interface, 'podman1');
  t.deepEqual(first.subnets, [{ subnet: '10.89.0.0/24', gateway: '10.89.0.1' }]);
  const taken: NetworkConfig = { ...first, name: 'x', network_interface: 'podman1', subnets: [{ subnet: '10.89.0.0/23' }] };
  const second = planNetwork(input(), [taken]);
  t.is(second.name, 'podman1');
  t.is(second.network_interface, 'podman2');
  t.deepEqual(second.subnets, [{ subnet: '10.89.2.0/24', gateway: '10.89.2.1' }]);
});

test('ip-range becomes a lease range without network and broadcast addresses', (t) => {
  const n = planNetwork(input({ name: 'lan', subnets: ['192.168.55.0/24'], ipRanges: ['192.168.55.128/25'] }), []);
  t.deepEqual(n.subnets[0]!.lease_range, { start_ip: '192.168.55.129', end_ip: '192.168.55.254' });
  t.is(n.subnets[0]!.gateway, '192.168.55.1');
});

test('internal without DNS has no gateway; with DNS it keeps one for aardvark-dns', (t) => {
  t.is(planNetwork(input({ internal: true, disableDns: true }), []).subnets[0]!.gateway, undefined);
  t.is(planNetwork(input({ internal: true }), []).subnets[0]!.gateway, '10.89.0.1');
});

test('--network NAME:opts as podman 4.3 takes them', (t) => {
  t.deepEqual(parseNetworkRequest('app:ip=10.89.0.9,mac=02:00:00:00:00:AA,alias=db,alias=pg'), {
    name: 'app',
    request: { aliases: ['db', 'pg'], staticIps: ['10.89.0.9'], staticMac: '02:00:00:00:00:aa' },
  });
  t.is(parseNetworkRequest('bridge').name, 'podman');
  t.throws(() => parseNetworkRequest('app:ip=10.89.0.300'), { message: '10.89.0.300 is not an ip address' });
  t.throws(() => parseNetworkRequest('app:mac=zz'), { message: 'address zz: invalid MAC address' });
  t.throws(() => parseNetworkRequest('app:color=red'), { message: 'unknown bridge network option: color' });
});
