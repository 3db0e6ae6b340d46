import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';

export const volumeUnmountCommand: CommandDefinition = {
  path: ['volume', 'unmount'],
  aliases: [['volume', 'umount']],
  describe: 'Unmount a volume mounted by `skiff volume mount` (when no other user holds it)',
  synopsis: 'VOLUME [VOLUME...]',
  examples: [['skiff volume unmount scratch', 'drop one mount of scratch']],
  options: {},
  positionals: { min: 1 },
  userns: true,
  async run(args, global) {
    const ctx = await engineContext(global);
    const { unmountVolume } = await import('../../../engine/volume/mount.js');
    return forEachTarget('volume unmount', args._.map(String), async (name) => {
      await unmountVolume(ctx, name);
      return name;
    });
  },
};
