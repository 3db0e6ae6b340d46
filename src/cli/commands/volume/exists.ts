import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';

export const volumeExistsCommand: CommandDefinition = {
  path: ['volume', 'exists'],
  aliases: [],
  describe: 'Check if the given volume exists (exit 0 if it does, 1 if not)',
  synopsis: 'VOLUME',
  examples: [['skiff volume exists data || skiff volume create data', 'for scripts: no output, only the exit code']],
  options: {},
  positionals: { min: 1, max: 1 },
  async run(args, global) {
    const { volumeExists } = await import('../../../engine/volume/volumes.js');
    return (await volumeExists(await engineContext(global), String(args._[0]))) ? 0 : 1;
  },
};
