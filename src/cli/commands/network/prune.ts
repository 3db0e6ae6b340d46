import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printLines } from '../../output/print.js';

export const networkPruneCommand: CommandDefinition = {
  path: ['network', 'prune'],
  aliases: [],
  describe: 'Remove all networks no container uses (the default network stays)',
  synopsis: '[options]',
  examples: [['skiff network prune -f --filter label=ci', 'remove unused networks labelled ci without asking']],
  options: {
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Do not prompt for confirmation' },
    filter: { type: 'string', array: true, describe: 'Provide filter values (label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP|DURATION)' },
  },
  positionals: { min: 0, max: 0 },
  async run(args, global) {
    const { parseNetworkFilters, pruneNetworks } = await import('../../../engine/network/networks.js');
    const filters = parseNetworkFilters(((args.filter as string[] | undefined) ?? []).map(String), true);
    if (!args.force) {
      const { confirm } = await import('../../prompt.js');
      if (!(await confirm('WARNING! This will remove all networks not used by at least one container.\nAre you sure you want to continue? [y/N] '))) return 0;
    }
    printLines(await pruneNetworks(await engineContext(global), filters));
    return 0;
  },
};
