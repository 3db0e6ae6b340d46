import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { terminalStreams } from '../../terminal.js';

export const startCommand: CommandDefinition = {
  path: ['container', 'start'],
  aliases: [['start']],
  describe: 'Start one or more containers',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [['skiff start web', 'start the container named web'], ['skiff start -a job', "start job and print its output; exits with job's code"]],
  options: {
    attach: { alias: 'a', type: 'boolean', default: false, describe: "Attach container's STDOUT and STDERR" },
    interactive: { alias: 'i', type: 'boolean', default: false, describe: "Attach container's STDIN" },
  },
  positionals: { min: 1 },
  async run(args, global) {
    const { startContainer } = await import('../../../engine/container/start.js');
    const ctx = await engineContext(global);
    if (args.attach) {
      if (args._.length !== 1) throw new (await import('../../../util/errors.js')).InvalidArgumentError('you cannot start and attach multiple containers at once');
      const { resolveContainer } = await import('../../../engine/container/record.js');
      const info = await resolveContainer(ctx, args._[0]);
      // As podman (containers/podman#4259): stdin is attached when the container was
      // created with -i, whether or not start has -i; without -a, -i changes nothing.
      const terminal = terminalStreams({ tty: info.record.spec.terminal, interactive: info.record.interactive });
      try {
        return (await startContainer(ctx, args._[0], { attach: terminal.streams })).exitCode ?? 0;
      } finally {
        terminal.restore();
      }
    }
    return forEachTarget('container start', args._, async (target) => {
      await startContainer(ctx, target);
      return target;
    });
  },
};
