import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';

export const stopCommand: CommandDefinition = {
  path: ['container', 'stop'],
  aliases: [['stop']],
  describe: 'Stop one or more containers',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [['skiff stop -t 2 web', 'send the stop signal, then SIGKILL after 2 seconds']],
  options: {
    time: { alias: 't', type: 'number', describe: 'Seconds to wait for stop before killing the container (default: the container\'s stop timeout, 10)' },
  },
  positionals: { min: 1 },
  userns: true,
  async run(args, global) {
    const { stopContainer } = await import('../../../engine/container/lifecycle.js');
    const ctx = await engineContext(global);
    return forEachTarget('container stop', args._, async (target) => {
      await stopContainer(ctx, target, args.time as number | undefined);
      return target;
    });
  },
};
