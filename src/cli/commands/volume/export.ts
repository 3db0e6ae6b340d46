import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const volumeExportCommand: CommandDefinition = {
  path: ['volume', 'export'],
  aliases: [],
  describe: 'Export the contents of a volume as a tar archive',
  synopsis: '[options] VOLUME',
  examples: [
    ['skiff volume export data -o data.tar', 'the files of the volume data, owners kept'],
    ['skiff volume export data | gzip > data.tar.gz', 'to stdout, which must not be a terminal'],
  ],
  options: {
    output: { alias: 'o', type: 'string', describe: 'Write to a specified file (default: stdout, which must be redirected)' },
  },
  positionals: { min: 1, max: 1 },
  // Files a container wrote belong to sub-ids: tar reads them as root of the namespace.
  userns: true,
  async run(args, global) {
    const output = args.output === undefined ? '-' : String(args.output);
    if (output === '') throw new InvalidArgumentError('expects output path, use --output=[path]');
    // An archive on a terminal is garbage, as podman save and export refuse it.
    if (output === '-' && process.stdout.isTTY) throw new InvalidArgumentError('refusing to export to terminal. Use -o flag or redirect');
    const { exportVolume } = await import('../../../engine/volume/archive.js');
    await exportVolume(await engineContext(global), String(args._[0]), output);
    return 0;
  },
};
