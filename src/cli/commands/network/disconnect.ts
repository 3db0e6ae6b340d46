import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';

export const networkDisconnectCommand: CommandDefinition = {
  path: ['network', 'disconnect'],
  aliases: [],
  describe: 'Remove a container from a network (at once when it runs)',
  synopsis: '[options] NETWORK CONTAINER',
  examples: [['skiff network disconnect backend pg', 'container pg leaves backend']],
  options: {
    // podman's -f only matters to CNI plugins that fail on teardown; netavark's teardown is forgiving already.
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Force the container to disconnect (accepted for podman compatibility)' },
  },
  positionals: { min: 2, max: 2 },
  userns: true,
  async run(args, global) {
    const { disconnectNetwork } = await import('../../../engine/network/connect.js');
    await disconnectNetwork(await engineContext(global), String(args._[0]), String(args._[1]));
    return 0;
  },
};
