import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { checkPauseSelection, pauseOptions } from '../../options/pause-options.js';
import { printWarning } from '../../output/print.js';

export const pauseCommand: CommandDefinition = {
  path: ['container', 'pause'],
  aliases: [['pause']],
  describe: 'Pause all the processes in one or more containers',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [
    ['skiff pause web', 'suspend every process of the container web until `skiff unpause web`'],
    ['skiff pause -a', 'pause every running container'],
  ],
  options: pauseOptions('Pause'),
  positionals: { min: 0 },
  userns: true,
  async run(args, global) {
    const { filters, cidFiles } = checkPauseSelection(args);
    const { parseContainerFilters } = await import('../../../engine/container/filters.js');
    const { pauseContainer, pauseTargets } = await import('../../../engine/container/pause.js');
    const parsed = parseContainerFilters(filters);
    const ctx = await engineContext(global);
    const targets = await pauseTargets(ctx, 'pause', args._, { all: Boolean(args.all), latest: Boolean(args.latest), filters: parsed, cidFiles });
    let noted = false;
    return forEachTarget('container pause', targets, async (target) => {
      const report = await pauseContainer(ctx, target);
      // Once per command: the reason is the host's, the same for every container.
      if (report.note && !noted) printWarning(report.note);
      noted ||= Boolean(report.note);
      return target;
    });
  },
};
