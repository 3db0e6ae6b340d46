import type { CommandDefinition } from '../../command.js';
import { engineContext, printWarnings } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import {
  ALL_OPTION,
  CIDFILE_OPTION,
  FILTER_OPTION,
  IGNORE_OPTION,
  LATEST_OPTION,
  checkTargetFlags,
  stopTimeoutFlag,
  targetFlags,
} from '../../options/container-targets.js';

export const rmCommand: CommandDefinition = {
  path: ['container', 'rm'],
  aliases: [['rm'], ['container', 'remove']],
  describe: 'Remove one or more containers',
  synopsis: '[options] [CONTAINER...]',
  examples: [
    ['skiff rm -f web', 'kill the container web if it runs, then remove it'],
    ['skiff rm -a', 'remove all stopped containers'],
    ['skiff rm -t 0 --all --force --ignore', 'remove every container at once, running or not, with no error for one already gone'],
    ['skiff rm --filter status=exited', 'remove the containers that have exited; prints their ids'],
    ['skiff rm --depend web', 'remove web and the containers that share its network namespace'],
  ],
  options: {
    depend: { type: 'boolean', default: false, describe: 'Remove the container and, first, every container that depends on it (joins its network namespace), recursively' },
    force: { alias: 'f', type: 'boolean', default: false, describe: 'Force removal of a running container (kills it first); a missing container is no error' },
    all: ALL_OPTION('Remove all containers'),
    cidfile: CIDFILE_OPTION,
    filter: { ...FILTER_OPTION, alias: undefined },
    ignore: IGNORE_OPTION,
    latest: LATEST_OPTION,
    volumes: { alias: 'v', type: 'boolean', default: false, describe: 'Remove the anonymous volumes of the container (not those another container mounts)' },
    time: { alias: 't', type: 'number', describe: "Seconds to wait for stop before killing the container, with --force (default: the container's stop timeout, 10)" },
  },
  positionals: { min: 0 },
  userns: true,
  async run(args, global) {
    const flags = targetFlags(args);
    checkTargetFlags(flags, { filterTakesNoNames: true });
    const timeout = stopTimeoutFlag(args.time);
    const { removeContainer } = await import('../../../engine/container/lifecycle.js');
    const ctx = await engineContext(global);
    let targets: string[];
    if (flags.all && !flags.filters.length) {
      const { containerIds } = await import('../../../engine/container/record.js');
      targets = await containerIds(ctx, { includeRemoving: true });
    } else {
      const { selectContainers } = await import('../../../engine/container/select.js');
      targets = await selectContainers(ctx, { ...flags, ignore: flags.ignore || Boolean(args.force) });
    }
    if (targets.length > 1 || args.depend) {
      const { orderForRemoval } = await import('../../../engine/container/network-deps.js');
      targets = await orderForRemoval(ctx, targets, { depend: Boolean(args.depend) });
    }
    const byId = flags.all || flags.latest || flags.filters.length > 0;
    const { NoSuchContainerError } = await import('../../../engine/errors.js');
    return forEachTarget('container rm', targets, async (target) => {
      try {
        const removed = await removeContainer(ctx, target, { force: Boolean(args.force), timeout, volumes: Boolean(args.volumes) });
        return byId ? removed.id : target;
      } catch (err) {
        // As podman: a container removed meanwhile (or never there) is no error with --ignore or --force.
        if ((flags.ignore || args.force) && err instanceof NoSuchContainerError) return undefined;
        throw err;
      } finally {
        printWarnings(ctx);
      }
    });
  },
};
