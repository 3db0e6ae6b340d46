import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';

export const tagCommand: CommandDefinition = {
  path: ['image', 'tag'],
  aliases: [['tag']],
  describe: 'Add an additional name to a local image',
  synopsis: 'IMAGE TARGET_NAME [TARGET_NAME...]',
  examples: [['skiff tag localhost/bb localhost/bb:v1 registry.example:5000/bb:v1', 'two more names for one image']],
  options: {},
  positionals: { min: 2 },
  async run(args, global) {
    const { tagImage } = await import('../../../engine/image/manage.js');
    await tagImage(await engineContext(global), args._[0], args._.slice(1));
    return 0;
  },
};
