import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { ALL_OPTION, CIDFILE_OPTION, LATEST_OPTION, checkTargetFlags, targetFlags } from '../../options/container-targets.js';

export const killCommand: CommandDefinition = {
  path: ['container', 'kill'],
  aliases: [['kill']],
  describe: 'Kill one or more running containers with a specific signal',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [
    ['skiff kill -s HUP web', 'send SIGHUP to the container web'],
    ['skiff kill -a -s USR1', 'send SIGUSR1 to every running container; prints their ids'],
  ],
  options: {
    all: ALL_OPTION('Signal all running containers'),
    cidfile: CIDFILE_OPTION,
    latest: LATEST_OPTION,
    signal: { alias: 's', type: 'string', default: 'KILL', describe: 'Signal to send to the container' },
  },
  positionals: { min: 0 },
  userns: true,
  async run(args, global) {
    const flags = targetFlags(args);
    checkTargetFlags(flags);
    const { killContainerBySignal, parseSignal } = await import('../../../engine/container/lifecycle.js');
    const signal = parseSignal(String(args.signal)); // a bad signal is one error, not one per container
    const { selectContainers } = await import('../../../engine/container/select.js');
    const ctx = await engineContext(global);
    // As podman: --all signals the running containers and passes over the others in silence.
    const targets = await selectContainers(ctx, { ...flags, states: ['running'] });
    return forEachTarget('container kill', targets, async (target) => {
      await killContainerBySignal(ctx, target, signal);
      return target;
    });
  },
};
