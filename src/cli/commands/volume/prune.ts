import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';

export const volumePruneCommand: CommandDefinition = {
  path: ['volume', 'prune'],
  aliases: [],
  describe: 'Remove all unused volumes (those no container uses)',
  synopsis: '[options]',
  examples: [
    ['skiff volume prune -f', 'without asking'],
    ['skiff volume prune -f --filter label=tmp', 'only the unused volumes labelled tmp'],
  ],
  options: {
    filter: { type: 'string', array: true, describe: 'Provide filter values: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP|DURATION' },
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Do not prompt for confirmation' },
  },
  positionals: { min: 0, max: 0 },
  userns: true,
  async run(args, global) {
    const { pruneVolumes, parseVolumeFilters } = await import('../../../engine/volume/volumes.js');
    const filters = parseVolumeFilters(((args.filter as string[] | undefined) ?? []).map(String), true);
    const ctx = await engineContext(global);
    if (!args.force) {
      const { confirm } = await import('../../prompt.js');
      const { listVolumes, volumesInUse } = await import('../../../engine/volume/volumes.js');
      const { listContainers } = await import('../../../engine/container/record.js');
      const inUse = volumesInUse(await listContainers(ctx));
      const names = (await listVolumes(ctx, filters)).filter((v) => !inUse.has(v.name)).map((v) => v.name);
      // podman lists them on stdout before it asks, whether or not it can ask.
      printText(`WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:\n${names.map((n) => n + '\n').join('')}`);
      if (!(await confirm('Are you sure you want to continue? [y/N] '))) return 0;
    }
    const removed = await pruneVolumes(ctx, filters);
    printText(removed.map((r) => r.name + '\n').join(''));
    return 0;
  },
};
