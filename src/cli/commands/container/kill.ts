import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';

export const killCommand: CommandDefinition = {
  path: ['container', 'kill'],
  aliases: [['kill']],
  describe: 'Kill one or more running containers with a specific signal',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [['skiff kill -s HUP web', 'send SIGHUP to the container web']],
  options: {
    signal: { alias: 's', type: 'string', default: 'KILL', describe: 'Signal to send to the container' },
  },
  positionals: { min: 1 },
  userns: true,
  async run(args, global) {
    const { killContainerBySignal, parseSignal } = await import('../../../engine/container/lifecycle.js');
    parseSignal(String(args.signal)); // a bad signal is one error, not one per container
    const ctx = await engineContext(global);
    return forEachTarget('container kill', args._, async (target) => {
      await killContainerBySignal(ctx, target, String(args.signal));
      return target;
    });
  },
};
