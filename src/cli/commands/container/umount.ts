import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const umountCommand: CommandDefinition = {
  path: ['container', 'umount'],
  aliases: [['umount'], ['container', 'unmount'], ['unmount']],
  describe: "Unmount a container's root filesystem mounted by `skiff mount`",
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [
    ['skiff umount web', 'drop one mount of web (unmounted when none is left and it does not run)'],
    ['skiff umount -a -f', 'unmount every mounted container'],
  ],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Unmount all of the currently mounted containers' },
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Force the unmount, whatever the mount count' },
  },
  positionals: { min: 0 },
  userns: true,
  async run(args, global) {
    if (args.all === (args._.length > 0)) throw new InvalidArgumentError('when using the --all switch, you may not pass any containers names or IDs', { hint: 'name containers, or use --all' });
    const { listMountedContainers, unmountContainer } = await import('../../../engine/container/mount.js');
    const ctx = await engineContext(global);
    const targets = args.all ? (await listMountedContainers(ctx)).map((m) => m.id) : args._.map(String);
    return forEachTarget('container umount', targets, (target) => unmountContainer(ctx, target, { force: Boolean(args.force) }));
  },
};
