import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { terminalStreams } from '../../terminal.js';
import { parseDetachKeys } from '../../detach-keys.js';
import { DETACH_KEYS_OPTION } from '../../options/attach-options.js';

export const startCommand: CommandDefinition = {
  path: ['container', 'start'],
  aliases: [['start']],
  describe: 'Start one or more containers',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [
    ['skiff start web', 'start the container named web'],
    ['skiff start -a job', "start job and print its output; exits with job's code"],
    ['skiff start -ai box', "start box and attach to its terminal; ctrl-p ctrl-q detaches"],
  ],
  options: {
    attach: { alias: 'a', type: 'boolean', default: false, describe: "Attach container's STDOUT and STDERR" },
    'detach-keys': DETACH_KEYS_OPTION,
    interactive: { alias: 'i', type: 'boolean', default: false, describe: "Attach container's STDIN" },
    // No default: podman refuses it without --attach, so whether it was given matters.
    'sig-proxy': { type: 'boolean', describe: 'Proxy received signals to the process (default true if attaching, false otherwise)' },
  },
  positionals: { min: 1 },
  async run(args, global) {
    const { startContainer } = await import('../../../engine/container/start.js');
    const { InvalidArgumentError } = await import('../../../util/errors.js');
    if (args['sig-proxy'] !== undefined && !args.attach) throw new InvalidArgumentError('you cannot use sig-proxy without --attach');
    const ctx = await engineContext(global);
    if (args.attach) {
      if (args._.length !== 1) throw new InvalidArgumentError('you cannot start and attach multiple containers at once');
      const detachKeys = parseDetachKeys(String(args['detach-keys']));
      const { resolveContainer } = await import('../../../engine/container/record.js');
      const info = await resolveContainer(ctx, args._[0]);
      // As podman (containers/podman#4259): stdin is attached when the container was
      // created with -i, whether or not start has -i; without -a, -i changes nothing.
      const terminal = terminalStreams({
        tty: info.record.spec.terminal,
        interactive: info.record.interactive,
        detachKeys,
        sigProxy: args['sig-proxy'] !== false,
      });
      try {
        // Detached: podman prints nothing and exits 0; the container runs on.
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
