import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';

export const untagCommand: CommandDefinition = {
  path: ['image', 'untag'],
  aliases: [['untag']],
  describe: 'Remove names from a local image',
  synopsis: 'IMAGE [IMAGE...]',
  examples: [['skiff untag localhost/bb localhost/bb:v1', 'remove one name'], ['skiff untag localhost/bb', 'remove all names: the image becomes dangling']],
  options: {},
  positionals: { min: 1 },
  async run(args, global) {
    const { untagImage } = await import('../../../engine/image/manage.js');
    await untagImage(await engineContext(global), args._[0], args._.slice(1));
    return 0;
  },
};
