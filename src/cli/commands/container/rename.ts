import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';

export const renameCommand: CommandDefinition = {
  path: ['container', 'rename'],
  aliases: [['rename']],
  describe: 'Rename an existing container (in any state; the old name is freed)',
  synopsis: 'CONTAINER NAME',
  examples: [['skiff rename web web-old', 'rename web; a new container can then take the name web']],
  options: {},
  positionals: { min: 2, max: 2 },
  async run(args, global) {
    const { renameContainer } = await import('../../../engine/container/rename.js');
    await renameContainer(await engineContext(global), args._[0], args._[1]);
    return 0;
  },
};
