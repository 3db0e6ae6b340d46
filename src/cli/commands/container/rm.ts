import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';

export const rmCommand: CommandDefinition = {
  path: ['container', 'rm'],
  aliases: [['rm'], ['container', 'remove']],
  describe: 'Remove one or more containers',
  synopsis: '[options] [CONTAINER...]',
  examples: [
    ['skiff rm -f web', 'kill the container web if it runs, then remove it'],
    ['skiff rm -a', 'remove all stopped containers'],
    ['skiff rm -t 0 --all --force --ignore', 'remove every container at once, running or not, with no error for one already gone'],
  ],
  options: {
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Force removal of a running container (kills it first)' },
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Remove all containers' },
    ignore: { alias: 'i', type: 'boolean', default: false, describe: 'Ignore errors when a specified container is missing' },
    time: { alias: 't', type: 'number', describe: 'Seconds to wait for stop before killing the container, with --force (default 0)' },
  },
  positionals: { min: 0 },
  userns: true,
  async run(args, global) {
    const { removeContainer } = await import('../../../engine/container/lifecycle.js');
    const ctx = await engineContext(global);
    let targets = args._;
    if (args.all) {
      const { containerIds } = await import('../../../engine/container/record.js');
      targets = await containerIds(ctx, { includeRemoving: true });
    } else if (targets.length === 0) {
      const { InvalidArgumentError } = await import('../../../util/errors.js');
      throw new InvalidArgumentError('`skiff rm` requires at least one container name or ID, or --all');
    }
    const { NoSuchContainerError } = await import('../../../engine/errors.js');
    return forEachTarget('container rm', targets, async (target) => {
      try {
        const removed = await removeContainer(ctx, target, { force: Boolean(args.force), timeout: args.time as number | undefined });
        return args.all ? removed.id : target;
      } catch (err) {
        // A container removed meanwhile (or never there) is no error with --ignore, as podman.
        if (args.ignore && err instanceof NoSuchContainerError) return undefined;
        throw err;
      }
    });
  },
};
