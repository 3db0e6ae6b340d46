import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { stopTimeoutFlag } from '../../options/container-targets.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const volumeRmCommand: CommandDefinition = {
  path: ['volume', 'rm'],
  aliases: [['volume', 'remove']],
  describe: 'Remove one or more volumes',
  synopsis: '[options] VOLUME [VOLUME...]',
  examples: [
    ['skiff volume rm data', 'remove the volume data; refused (exit 2) while a container uses it'],
    ['skiff volume rm -f data', 'remove data and every container that uses it'],
    ['skiff volume rm -a', 'remove every volume no container uses'],
  ],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Remove all volumes' },
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Remove a volume by force: the containers using it are removed first (running ones stopped)' },
    time: { alias: 't', type: 'number', describe: 'Seconds to wait for running containers to stop before killing them, with --force' },
  },
  positionals: { min: 0 },
  // Data written by containers belongs to sub-ids, and -o type= volumes are mounted in the namespace.
  userns: true,
  async run(args, global) {
    if (args.all && args._.length) throw new InvalidArgumentError('choose either one or more volumes or all');
    if (!args.all && !args._.length) throw new InvalidArgumentError('choose either one or more volumes or all');
    const timeout = stopTimeoutFlag(args.time);
    const { removeVolume, listVolumes, getVolume } = await import('../../../engine/volume/volumes.js');
    const ctx = await engineContext(global);
    const force = Boolean(args.force);
    if (args.all) {
      // As podman's rm -a: the volumes in use are skipped unless --force.
      const { listContainers } = await import('../../../engine/container/record.js');
      const { volumesInUse } = await import('../../../engine/volume/volumes.js');
      const inUse = volumesInUse(await listContainers(ctx));
      const names = (await listVolumes(ctx)).map((v) => v.name).filter((n) => force || !inUse.has(n));
      return forEachTarget('volume rm', names, (name) => removeVolume(ctx, name, { force, timeout }));
    }
    // podman looks every name up first: the missing ones are reported before any removal.
    const targets = args._.map(String);
    const missing = new Set<string>();
    const { NoSuchVolumeError } = await import('../../../engine/volume/volumes.js');
    const code = await forEachTarget('volume rm', targets, async (name) => {
      try {
        await getVolume(ctx, name);
        return undefined;
      } catch (err) {
        missing.add(name);
        // As podman: with --force a volume that is not there is no error, and nothing is printed.
        if (force && err instanceof NoSuchVolumeError) return undefined;
        throw err;
      }
    });
    const removed = await forEachTarget('volume rm', targets.filter((n) => !missing.has(n)), (name) => removeVolume(ctx, name, { force, timeout }));
    return removed || code;
  },
};
