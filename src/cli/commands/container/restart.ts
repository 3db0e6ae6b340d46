import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { takePreforkedMonitor } from '../../prefork.js';

export const restartCommand: CommandDefinition = {
  path: ['container', 'restart'],
  aliases: [['restart']],
  describe: 'Restart one or more containers (stop the running ones, then start)',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [
    ['skiff restart web', 'stop web (SIGKILL after its stop timeout) and start it again'],
    ['skiff restart -a --running -t 2', 'restart every running container, killing after 2 seconds'],
    ['skiff restart scratch', 'a --rm container is restarted in place; it is removed when it next stops'],
  ],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Restart all containers' },
    running: { type: 'boolean', default: false, describe: 'Restart only running containers' },
    latest: { alias: 'l', type: 'boolean', default: false, describe: 'Act on the latest container skiff is aware of' },
    filter: { alias: 'f', type: 'string', array: true, describe: 'Restart the containers that match a filter (id=, name=, label=, label!=, status=, until=)' },
    cidfile: { type: 'string', array: true, describe: 'Read the container ID from the file' },
    time: { alias: 't', type: 'number', describe: 'Seconds to wait for stop before killing the container (default: the container\'s stop timeout, 10)' },
  },
  positionals: { min: 0 },
  userns: true,
  async run(args, global) {
    const { InvalidArgumentError } = await import('../../../util/errors.js');
    const filters = (args.filter as string[] | undefined) ?? [];
    const cidFiles = (args.cidfile as string[] | undefined) ?? [];
    const selecting = Boolean(args.all || args.latest || filters.length);
    // podman's checks (CheckAllLatestAndCIDFile): names, or one selector, never both.
    if (selecting && (args._.length || cidFiles.length)) {
      throw new InvalidArgumentError('--all, --latest and --filter cannot be used together with container names or --cidfile');
    }
    if ([args.all, args.latest].filter(Boolean).length > 1) throw new InvalidArgumentError('--all and --latest cannot be used together');
    if (!selecting && !args._.length && !cidFiles.length) throw new InvalidArgumentError('you must provide at least one name or id');
    if (args.time !== undefined && (args.time as number) < 0) throw new InvalidArgumentError(`invalid argument "${String(args.time)}" for "-t, --time" flag: must not be negative`);
    const { parseContainerFilters } = await import('../../../engine/container/filters.js');
    const { restartContainer, restartTargets } = await import('../../../engine/container/restart.js');
    const ctx = await engineContext(global);
    const targets = await restartTargets(ctx, args._, {
      all: Boolean(args.all),
      running: Boolean(args.running),
      latest: Boolean(args.latest),
      filters: parseContainerFilters(filters),
      cidFiles,
    });
    // main() forked a monitor as the command began (prefork.ts): it boots while the first container stops.
    let monitor = await takePreforkedMonitor(global.runroot);
    try {
      return await forEachTarget('container restart', targets, async (target) => {
        const taken = monitor;
        monitor = undefined;
        await restartContainer(ctx, target, args.time as number | undefined, { monitor: taken });
        return target;
      });
    } finally {
      monitor?.abort();
    }
  },
};
