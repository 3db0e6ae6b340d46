import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const volumeImportCommand: CommandDefinition = {
  path: ['volume', 'import'],
  aliases: [],
  describe: 'Import a tarball into a volume',
  synopsis: 'VOLUME [SOURCE]',
  examples: [
    ['skiff volume import data data.tar', 'unpack data.tar into the volume data, owners kept'],
    ['skiff volume import data - < data.tar', 'from stdin'],
  ],
  options: {},
  positionals: { min: 2, max: 2 },
  userns: true,
  async run(args, global) {
    const input = String(args._[1]);
    if (input === '-' && process.stdin.isTTY) throw new InvalidArgumentError('cannot read from terminal, use command-line redirection');
    const { importVolume } = await import('../../../engine/volume/archive.js');
    await importVolume(await engineContext(global), String(args._[0]), input);
    return 0;
  },
};
