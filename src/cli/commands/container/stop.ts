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

export const stopCommand: CommandDefinition = {
  path: ['container', 'stop'],
  aliases: [['stop']],
  describe: 'Stop one or more containers',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [
    ['skiff stop -t 2 web', 'send the stop signal, then SIGKILL after 2 seconds'],
    ['skiff stop -a', 'stop every running container; prints their ids'],
    ['skiff stop --ignore web db', 'stop both; one that does not exist is no error'],
  ],
  options: {
    all: ALL_OPTION('Stop all running containers'),
    cidfile: CIDFILE_OPTION,
    filter: FILTER_OPTION,
    ignore: IGNORE_OPTION,
    latest: LATEST_OPTION,
    time: { alias: ['t', 'timeout'], type: 'number', describe: 'Seconds to wait for stop before killing the container (default: the container\'s stop timeout, 10)' },
  },
  positionals: { min: 0 },
  userns: true,
  async run(args, global) {
    const flags = targetFlags(args);
    checkTargetFlags(flags, { filterTakesNoNames: true });
    const timeout = stopTimeoutFlag(args.time);
    const { stopContainer } = await import('../../../engine/container/lifecycle.js');
    const { selectContainers } = await import('../../../engine/container/select.js');
    const { NoSuchContainerError } = await import('../../../engine/errors.js');
    const ctx = await engineContext(global);
    const targets = await selectContainers(ctx, flags);
    return forEachTarget('container stop', targets, async (target) => {
      try {
        await stopContainer(ctx, target, timeout);
      } catch (err) {
        if (flags.ignore && err instanceof NoSuchContainerError) return undefined;
        throw err;
      } finally {
        printWarnings(ctx);
      }
      return target;
    });
  },
};
