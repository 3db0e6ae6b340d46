import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { checkPauseSelection, pauseOptions } from '../../options/pause-options.js';

export const unpauseCommand: CommandDefinition = {
  path: ['container', 'unpause'],
  aliases: [['unpause']],
  describe: 'Unpause the processes in one or more containers',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [
    ['skiff unpause web', 'resume the processes of the paused container web'],
    ['skiff unpause -a', 'unpause every paused container'],
  ],
  options: pauseOptions('Unpause'),
  positionals: { min: 0 },
  userns: true,
  async run(args, global) {
    const { filters, cidFiles } = checkPauseSelection(args);
    const { parseContainerFilters } = await import('../../../engine/container/filters.js');
    const { unpauseContainer, pauseTargets } = await import('../../../engine/container/pause.js');
    const parsed = parseContainerFilters(filters);
    const ctx = await engineContext(global);
    const targets = await pauseTargets(ctx, 'unpause', args._, { all: Boolean(args.all), latest: Boolean(args.latest), filters: parsed, cidFiles });
    return forEachTarget('container unpause', targets, async (target) => {
      await unpauseContainer(ctx, target);
      return target;
    });
  },
};
