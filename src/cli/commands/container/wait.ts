import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';

export const waitCommand: CommandDefinition = {
  path: ['container', 'wait'],
  aliases: [['wait']],
  describe: 'Block on one or more containers',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [['skiff wait job', 'wait for job to exit and print its exit code']],
  options: {},
  positionals: { min: 1 },
  async run(args, global) {
    const { waitContainer } = await import('../../../engine/container/lifecycle.js');
    const ctx = await engineContext(global);
    return forEachTarget('container wait', args._, async (target) => {
      const code = await waitContainer(ctx, target);
      // A --rm container is gone by the time we look; podman prints -1 for it too.
      return String(code ?? -1);
    });
  },
};
