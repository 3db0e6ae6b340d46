import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';

export const networkConnectCommand: CommandDefinition = {
  path: ['network', 'connect'],
  aliases: [],
  describe: 'Add a container to a network (at once when it runs)',
  synopsis: '[options] NETWORK CONTAINER',
  examples: [['skiff network connect --alias db backend pg', 'container pg joins backend, where it is also known as db']],
  options: {
    alias: { type: 'string', array: true, describe: 'Add a network-scoped alias for the container' },
    ip: { type: 'string', describe: 'Set a static IPv4 address for this container on this network' },
    ip6: { type: 'string', describe: 'Set a static IPv6 address for this container on this network' },
    'mac-address': { type: 'string', describe: 'Set a static MAC address for this container on this network' },
  },
  positionals: { min: 2, max: 2 },
  userns: true,
  async run(args, global) {
    const { connectNetwork } = await import('../../../engine/network/connect.js');
    const ip = [args.ip, args.ip6].filter((v) => v !== undefined).map(String);
    await connectNetwork(await engineContext(global), String(args._[0]), String(args._[1]), {
      aliases: ((args.alias as string[] | undefined) ?? []).map(String),
      ip: ip[0],
      mac: args['mac-address'] as string | undefined,
    });
    return 0;
  },
};
