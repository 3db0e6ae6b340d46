import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import { InvalidArgumentError } from '../../../util/errors.js';

const list = (v: unknown): string[] => ((v as string[] | undefined) ?? []).map(String);

/** KEY=VALUE flags (--label, --opt) into a record; a bare KEY has an empty value. */
function keyValues(values: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const at = v.indexOf('=');
    if (at === 0) throw new InvalidArgumentError(`invalid ${flag} "${v}": the key is empty`);
    out[at < 0 ? v : v.slice(0, at)] = at < 0 ? '' : v.slice(at + 1);
  }
  return out;
}

export const networkCreateCommand: CommandDefinition = {
  path: ['network', 'create'],
  aliases: [],
  describe: 'Create a network: a bridge in the rootless network namespace, with its own subnet and DNS',
  synopsis: '[options] [NAME]',
  examples: [
    ['skiff network create app', 'a network named app with the next free 10.89.N.0/24 subnet'],
    ['skiff network create --subnet 192.168.55.0/24 --gateway 192.168.55.3 --ip-range 192.168.55.128/25 lan', 'subnet, gateway and lease range chosen'],
    ['skiff network create --internal --disable-dns backend', 'no way out of the network, no DNS server'],
  ],
  options: {
    driver: { alias: 'd', type: 'string', default: 'bridge', describe: 'Driver to manage the network (bridge)' },
    subnet: { type: 'string', array: true, describe: 'Subnet in CIDR format (repeatable: one IPv4 and one IPv6)' },
    gateway: { type: 'string', array: true, describe: 'IPv4 or IPv6 gateway for the subnet at the same position' },
    'ip-range': { type: 'string', array: true, describe: 'Allocate container IPs from a range (CIDR) of the subnet at the same position' },
    internal: { type: 'boolean', default: false, describe: 'Restrict external access from this network' },
    ipv6: { type: 'boolean', default: false, describe: 'Enable IPv6 networking (adds a random unique local /64 when no IPv6 subnet is given)' },
    label: { type: 'string', array: true, describe: 'Set metadata on the network (KEY=VALUE)' },
    opt: { alias: 'o', type: 'string', array: true, describe: 'Set driver specific options: mtu=N' },
    'disable-dns': { type: 'boolean', default: false, describe: 'Disable the DNS server (aardvark-dns) of this network' },
    'ipam-driver': { type: 'string', describe: 'IP address management driver (host-local, the only one)' },
    ignore: { type: 'boolean', default: false, describe: "Don't fail if the network already exists" },
  },
  positionals: { min: 0, max: 1 },
  async run(args, global) {
    const ipam = args['ipam-driver'];
    if (ipam !== undefined && ipam !== 'host-local') throw new InvalidArgumentError(`unsupported ipam driver "${String(ipam)}"`);
    const { createNetwork } = await import('../../../engine/network/networks.js');
    const network = await createNetwork(await engineContext(global), {
      name: args._[0] === undefined ? undefined : String(args._[0]),
      driver: String(args.driver ?? 'bridge'),
      subnets: list(args.subnet),
      gateways: list(args.gateway),
      ipRanges: list(args['ip-range']),
      internal: Boolean(args.internal),
      ipv6: Boolean(args.ipv6),
      disableDns: Boolean(args['disable-dns']),
      labels: keyValues(list(args.label), 'label'),
      options: keyValues(list(args.opt), 'option'),
    }, { ignore: Boolean(args.ignore) });
    printText(network.name + '\n');
    return 0;
  },
};
