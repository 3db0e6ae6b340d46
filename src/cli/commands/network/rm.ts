import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { stopTimeoutFlag } from '../../options/container-targets.js';

export const networkRmCommand: CommandDefinition = {
  path: ['network', 'rm'],
  aliases: [['network', 'remove']],
  describe: 'Remove one or more networks',
  synopsis: '[options] NETWORK [NETWORK...]',
  examples: [
    ['skiff network rm app', 'remove the network app; refused while containers are on it'],
    ['skiff network rm -f -t 0 app', 'remove app and every container on it, killing running ones at once'],
  ],
  options: {
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Remove any containers using the network (running ones are stopped)' },
    time: { alias: 't', type: 'number', describe: 'Seconds to wait for running containers to stop before killing them, with --force' },
  },
  positionals: { min: 1 },
  // Only removing containers (-f) needs the namespace; a plain rm stays out of it (half its time otherwise).
  usernsWhen: (args) => Boolean(args.force),
  async run(args, global) {
    const timeout = stopTimeoutFlag(args.time);
    const { removeNetwork } = await import('../../../engine/network/networks.js');
    const ctx = await engineContext(global);
    const { NoSuchNetworkError } = await import('../../../network/network-store.js');
    return forEachTarget('network rm', args._.map(String), async (target) => {
      try {
        return await removeNetwork(ctx, target, { force: Boolean(args.force), timeout });
      } catch (err) {
        // As podman: with --force a network that is not there is no error, and nothing is printed.
        if (args.force && err instanceof NoSuchNetworkError) return undefined;
        throw err;
      }
    });
  },
};
