import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';

export const networkExistsCommand: CommandDefinition = {
  path: ['network', 'exists'],
  aliases: [],
  describe: 'Check if a network exists (exit 0 if it does, 1 if not)',
  synopsis: 'NETWORK',
  examples: [['skiff network exists app || skiff network create app', 'for scripts: no output, only the exit code']],
  options: {},
  positionals: { min: 1, max: 1 },
  async run(args, global) {
    const { networkExists } = await import('../../../engine/network/networks.js');
    return (await networkExists(await engineContext(global), String(args._[0]))) ? 0 : 1;
  },
};
