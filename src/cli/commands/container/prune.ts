import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { EXIT_ENGINE } from '../../exit-codes.js';
import { printError, printLines } from '../../output/print.js';

export const containerPruneCommand: CommandDefinition = {
  path: ['container', 'prune'],
  aliases: [],
  describe: 'Remove all non running containers',
  synopsis: '[options]',
  examples: [
    ['skiff container prune -f', 'remove every container that is not running, without asking'],
    ['skiff container prune -f --filter until=24h --filter label=ci', 'only those labelled ci and created more than a day ago'],
  ],
  options: {
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Do not prompt for confirmation' },
    filter: { type: 'string', array: true, describe: "Provide filter values (label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP|DURATION)" },
  },
  positionals: { min: 0, max: 0 },
  userns: true,
  async run(args, global) {
    const { parseContainerFilters } = await import('../../../engine/container/filters.js');
    // Checked before the prompt, as podman does: a typo must not cost a confirmation.
    const filters = parseContainerFilters((args.filter as string[] | undefined) ?? [], ['label', 'label!', 'until']);
    if (!args.force) {
      const { confirm } = await import('../../prompt.js');
      if (!(await confirm('WARNING! This will remove all non running containers.\nAre you sure you want to continue? [y/N] '))) return 0;
    }
    const { pruneContainers } = await import('../../../engine/container/prune.js');
    const report = await pruneContainers(await engineContext(global), filters);
    printLines(report.removed);
    for (const { error } of report.errors) printError(error.message, error.hint);
    return report.errors.length ? EXIT_ENGINE : 0;
  },
};
