import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printLines } from '../../output/print.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const networkReloadCommand: CommandDefinition = {
  path: ['network', 'reload'],
  aliases: [],
  describe: "Reload the network setup (firewall rules, DNS) of running containers on user networks",
  synopsis: '[options] [CONTAINER...]',
  examples: [['skiff network reload --all', 'set every running container up again after its firewall rules were flushed']],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Reload the network of all running containers' },
    latest: { alias: 'l', type: 'boolean', default: false, describe: 'Act on the latest container skiff is aware of' },
  },
  positionals: { min: 0 },
  userns: true,
  async run(args, global) {
    const ctx = await engineContext(global);
    let targets: string[] | undefined = args._.map(String);
    if (args.all && targets.length) throw new InvalidArgumentError('--all and containers cannot be used together');
    if (args.latest) {
      const { listContainers } = await import('../../../engine/container/record.js');
      targets = (await listContainers(ctx, { latest: true })).map((c) => c.record.id);
    } else if (args.all) {
      targets = undefined;
    } else if (!targets.length) {
      throw new InvalidArgumentError('you must provide at least one container name or ID, or --all');
    }
    const { reloadNetworks } = await import('../../../engine/network/connect.js');
    printLines(await reloadNetworks(ctx, targets));
    return 0;
  },
};
