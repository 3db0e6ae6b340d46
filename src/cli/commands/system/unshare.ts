import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';

export const unshareCommand: CommandDefinition = {
  path: ['unshare'],
  aliases: [],
  describe: 'Run a command in a modified user namespace: as root of the rootless user namespace, in its mount namespace',
  synopsis: '[options] [COMMAND [ARG...]]',
  examples: [
    ['skiff unshare', 'a shell ($SHELL) inside the namespace'],
    ['skiff unshare cat /proc/self/uid_map', 'how the namespace maps ids'],
    ['skiff unshare sh -c \'ls -l "$(skiff mount web)"\'', "look at a container's root file system"],
  ],
  options: {
    'rootless-netns': { type: 'boolean', default: false, describe: 'Join the rootless network namespace of the user networks as well' },
  },
  positionals: { min: 0 },
  stopAfterPositionals: 1,
  async run(args, global) {
    const { unshare } = await import('../../../engine/system/unshare.js');
    return unshare(await engineContext(global), {
      argv: args._.map(String),
      rootlessNetns: Boolean(args['rootless-netns']),
      env: process.env,
      cwd: process.cwd(),
    });
  },
};
