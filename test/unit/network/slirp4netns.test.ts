// --network slirp4netns:OPTIONS as podman's parseSlirp4netnsNetworkOptions, messages included.
import test from 'ava';
import { parseSlirpOptions, slirpAddresses } from '../../../src/network/slirp4netns.js';

test('defaults are podman\'s: mtu 65520, no host loopback, IPv6 on', (t) => {
  t.deepEqual(parseSlirpOptions([]), { mtu: 65520, allowHostLoopback: false, enableIpv6: true });
});

test('every option podman knows', (t) => {
  t.deepEqual(parseSlirpOptions(['allow_host_loopback=true', 'cidr=10.5.0.0/24', 'enable_ipv6=false', 'mtu=1500', 'outbound_addr=192.0.2.9', 'port_handler=slirp4netns'], []), {
    mtu: 1500, allowHostLoopback: true, enableIpv6: false, cidr: '10.5.0.0/24', outboundAddr: '192.0.2.9', portHandler: 'slirp4netns',
  });
  t.is(parseSlirpOptions(['outbound_addr=eth9'], ['eth9']).outboundAddr, 'eth9');
  t.is(parseSlirpOptions(['outbound_addr6=fd00::9'], []).outboundAddr6, 'fd00::9');
});

const refuses = test.macro({
  exec(t, options: string[], message: string) {
    t.is(t.throws(() => parseSlirpOptions(options, ['eth0']))?.message, message);
  },
  title: (_title, options: string[]) => `slirp4netns:${options.join(',')} is refused as podman does`,
});

test(refuses, ['foo'], 'unknown option for slirp4netns: "foo"');
test(refuses, ['foo=bar'], 'unknown option for slirp4netns: "foo=bar"');
test(refuses, ['cidr=10.5.0.0'], 'invalid cidr "10.5.0.0"');
test(refuses, ['cidr=fd00::/64'], 'invalid cidr "fd00::/64"');
test(refuses, ['mtu=67'], 'invalid mtu "67"');
test(refuses, ['mtu=big'], 'invalid mtu "big"');
test(refuses, ['port_handler=socat'], 'unknown port_handler for slirp4netns: "socat"');
test(refuses, ['allow_host_loopback=yes'], 'invalid value of allow_host_loopback for slirp4netns: "yes"');
test(refuses, ['enable_ipv6=1'], 'invalid value of enable_ipv6 for slirp4netns: "1"');
test(refuses, ['outbound_addr=fd00::1'], 'invalid outbound_addr "fd00::1"');
test(refuses, ['outbound_addr6=10.0.0.1'], 'invalid outbound_addr6: "10.0.0.1"');
test(refuses, ['enable_ipv6=false', 'outbound_addr6=eth0'], 'enable_ipv6=true is required for outbound_addr6');

test('the addresses in a cidr are .100, .2 and .3 of its network', (t) => {
  t.deepEqual(slirpAddresses(), { containerIp: '10.0.2.100', gateway: '10.0.2.2', dns: '10.0.2.3' });
  t.deepEqual(slirpAddresses('10.5.7.9/24'), { containerIp: '10.5.7.100', gateway: '10.5.7.2', dns: '10.5.7.3' });
  t.deepEqual(slirpAddresses('172.16.0.0/12'), { containerIp: '172.16.0.100', gateway: '172.16.0.2', dns: '172.16.0.3' });
});
