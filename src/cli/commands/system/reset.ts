import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';

export const systemResetCommand: CommandDefinition = {
  path: ['system', 'reset'],
  aliases: [],
  describe: 'Reset skiff storage back to its initial state: every container (stopped first), image, volume and network, and the run root, are removed',
  synopsis: '[options]',
  examples: [['skiff system reset -f', 'everything gone, without asking']],
  options: {
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Do not prompt for confirmation' },
  },
  positionals: { min: 0, max: 0 },
  userns: true,
  async run(args, global) {
    if (!args.force) {
      const { confirm } = await import('../../prompt.js');
      const question = 'WARNING! This will remove:\n        - all containers\n        - all images\n        - all networks\n        - all volumes\nAre you sure you want to continue? [y/N] ';
      if (!(await confirm(question))) return 0;
    }
    const { systemReset } = await import('../../../engine/system/reset.js');
    await systemReset(await engineContext(global));
    return 0;
  },
};
