import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { parseDetachKeys } from '../../detach-keys.js';
import { DETACH_KEYS_OPTION, SIG_PROXY_OPTION } from '../../options/attach-options.js';
import { terminalStreams } from '../../terminal.js';

export const attachCommand: CommandDefinition = {
  path: ['container', 'attach'],
  aliases: [['attach']],
  describe: 'Attach to a running container',
  synopsis: '[options] CONTAINER',
  examples: [
    ['skiff attach box', "attach to box's terminal; ctrl-p ctrl-q detaches and leaves it running"],
    ['skiff attach --no-stdin web', "follow web's output without sending it input"],
  ],
  options: {
    'detach-keys': DETACH_KEYS_OPTION,
    'no-stdin': { type: 'boolean', default: false, describe: 'Do not attach STDIN. The default is false' },
    'sig-proxy': SIG_PROXY_OPTION,
  },
  positionals: { min: 1, max: 1 },
  async run(args, global) {
    const detachKeys = parseDetachKeys(String(args['detach-keys']));
    const { attachContainer, attachTarget } = await import('../../../engine/container/attach.js');
    const ctx = await engineContext(global);
    const target = await attachTarget(ctx, args._[0]);
    const noStdin = Boolean(args['no-stdin']);
    const terminal = terminalStreams({
      tty: target.tty,
      interactive: target.interactive && !noStdin,
      detachKeys,
      sigProxy: Boolean(args['sig-proxy']),
      syncSize: true,
    });
    try {
      const report = await attachContainer(ctx, target, { streams: terminal.streams, noStdin });
      // Detached: podman prints nothing and exits 0; the container runs on.
      return report.exitCode ?? 0;
    } finally {
      terminal.restore();
    }
  },
};
