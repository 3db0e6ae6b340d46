import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { printText } from '../../output/print.js';

export const mountCommand: CommandDefinition = {
  path: ['container', 'mount'],
  aliases: [['mount']],
  describe: "Mount a container's root filesystem (rootless: inside `skiff unshare`)",
  synopsis: '[options] [CONTAINER...]',
  examples: [
    ["skiff unshare sh -c 'ls \"$(skiff mount web)\"'", "list the root of web's file system"],
    ['skiff unshare skiff mount', 'the mounted containers and where'],
  ],
  options: {
    'no-trunc': { type: 'boolean', default: false, describe: 'Do not truncate output' },
    format: { type: 'string', describe: 'Print the mounted containers in the given format (json)' },
  },
  positionals: { min: 0 },
  async run(args, global) {
    const { mountContainer, mountedContainers } = await import('../../../engine/container/mount.js');
    const ctx = await engineContext(global);
    if (args._.length === 0) {
      const mounted = await mountedContainers(ctx);
      if (args.format === 'json') {
        printText(JSON.stringify(mounted.map((m) => ({ id: m.id, mountpoint: m.path })), null, 4) + '\n');
      } else {
        printText(mounted.map((m) => `${args['no-trunc'] ? m.id : m.id.slice(0, 12)}  ${m.path}\n`).join(''));
      }
      return 0;
    }
    return forEachTarget('container mount', args._.map(String), async (target) => (await mountContainer(ctx, target)).path);
  },
};
