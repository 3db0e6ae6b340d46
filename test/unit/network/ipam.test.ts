// The user networks' IP leases: podman's IPAM hands out the next free
// address after the one it gave last, wrapping around, so an address given
// back is not reused at once (500-networking: disconnect and connect again
// gives a new address).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Ipam } from '../../../src/network/ipam.js';
import type { NetworkConfig } from '../../../src/network/network-config.js';

const net: NetworkConfig = {
  name: 'small', id: 'x', driver: 'bridge', network_interface: 'podman9', created: new Date(0).toISOString(),
  // .1 gateway, .2-.6 hosts, .7 broadcast
  subnets: [{ subnet: '10.89.9.0/29', gateway: '10.89.9.1' }],
  ipv6_enabled: false, internal: false, dns_enabled: false, ipam_options: { driver: 'host-local' },
};

test('the next free address after the last one given, wrapping around; a static one where asked', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ipam-'));
  const ipam = new Ipam(dir);
  t.deepEqual(await ipam.allocate(net, 'a'), ['10.89.9.2']);
  t.deepEqual(await ipam.allocate(net, 'b'), ['10.89.9.3']);
  await ipam.release('small', 'a');
  t.deepEqual(await ipam.allocate(net, 'a'), ['10.89.9.4'], 'not the address just given back');
  t.deepEqual(await ipam.allocate(net, 'a'), ['10.89.9.4'], 'a holder keeps its address');
  t.deepEqual(await ipam.allocate(net, 'c'), ['10.89.9.5']);
  t.deepEqual(await ipam.allocate(net, 'd'), ['10.89.9.6']);
  t.deepEqual(await ipam.allocate(net, 'e'), ['10.89.9.2'], 'wrapped around to the first free one');
  await t.throwsAsync(ipam.allocate(net, 'f'), { message: 'IPAM error: failed to find free IP in range: 10.89.9.0/29' });
  await ipam.release('small', 'c');
  t.deepEqual(await ipam.allocate(net, 'g', ['10.89.9.5']), ['10.89.9.5']);
  t.deepEqual(await ipam.leases('small'), { '10.89.9.2': 'e', '10.89.9.3': 'b', '10.89.9.4': 'a', '10.89.9.5': 'g', '10.89.9.6': 'd' });
  await rm(dir, { recursive: true, force: true });
});
