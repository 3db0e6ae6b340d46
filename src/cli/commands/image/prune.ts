import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printLines } from '../../output/print.js';

export const imagePruneCommand: CommandDefinition = {
  path: ['image', 'prune'],
  aliases: [],
  describe: 'Remove unused images (dangling ones, or with -a all that no container uses)',
  synopsis: '[options]',
  examples: [['skiff image prune -f', 'remove dangling images without asking'], ['skiff image prune -af', 'remove every image no container uses']],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Remove all images not in use by containers, not just dangling ones' },
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Do not prompt for confirmation' },
  },
  positionals: { min: 0, max: 0 },
  userns: true,
  async run(args, global) {
    if (!args.force) {
      const { confirm } = await import('../../prompt.js');
      const what = args.all ? 'all images not used by at least one container' : 'all dangling images';
      if (!(await confirm(`WARNING! This command removes ${what}.\nAre you sure you want to continue? [y/N] `))) return 0;
    }
    const { pruneImages } = await import('../../../engine/image/manage.js');
    printLines(await pruneImages(await engineContext(global), { all: Boolean(args.all) }));
    return 0;
  },
};
