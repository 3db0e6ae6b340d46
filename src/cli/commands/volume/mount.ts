import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { SkiffError } from '../../../util/errors.js';

export const volumeMountCommand: CommandDefinition = {
  path: ['volume', 'mount'],
  aliases: [],
  describe: 'Mount a volume and print its mount point (rootless: inside `skiff unshare`)',
  synopsis: 'VOLUME [VOLUME...]',
  examples: [["skiff unshare sh -c 'ls \"$(skiff volume mount scratch)\"'", 'a tmpfs volume mounted and looked at']],
  options: {},
  positionals: { min: 1 },
  async run(args, global) {
    const ctx = await engineContext(global);
    // As podman: mounts made outside the namespace would be invisible to the user.
    if (ctx.needsNsenter) throw new SkiffError('EROOTLESSMOUNT', 'cannot run command "skiff volume mount" in rootless mode, must execute `skiff unshare` first');
    const { mountVolume } = await import('../../../engine/volume/mount.js');
    return forEachTarget('volume mount', args._.map(String), (name) => mountVolume(ctx, name));
  },
};
