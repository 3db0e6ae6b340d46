import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';

export const imageExistsCommand: CommandDefinition = {
  path: ['image', 'exists'],
  aliases: [],
  describe: 'Check if an image exists in local storage (exit 0 if it does, 1 if not)',
  synopsis: 'IMAGE',
  examples: [['skiff image exists localhost/bb && echo present', 'for scripts: no output, only the exit code']],
  options: {},
  positionals: { min: 1, max: 1 },
  async run(args, global) {
    const { imageExists } = await import('../../../engine/image/images.js');
    return (await imageExists(await engineContext(global), args._[0])) ? 0 : 1;
  },
};
