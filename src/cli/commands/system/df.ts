import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const systemDfCommand: CommandDefinition = {
  path: ['system', 'df'],
  aliases: [],
  describe: 'Show podman-style disk usage: images, containers and local volumes, and what could be reclaimed',
  synopsis: '[options]',
  examples: [
    ['skiff system df', 'TYPE TOTAL ACTIVE SIZE RECLAIMABLE for images, containers and volumes'],
    ['skiff system df -v', 'one table per kind, a row per item'],
    ["skiff system df --format '{{.Type}}: {{.Reclaimable}}'", 'what each kind could give back'],
  ],
  options: {
    verbose: { alias: 'v', type: 'boolean', default: false, describe: 'Show detailed information on disk usage' },
    format: { type: 'string', describe: 'Pretty-print the summary using JSON or a Go template' },
  },
  positionals: { min: 0, max: 0 },
  // Containers' files belong to sub-ids: measuring them needs the namespace.
  userns: true,
  async run(args, global) {
    const format = args.format as string | undefined;
    if (format !== undefined && args.verbose) throw new InvalidArgumentError('cannot combine --format and --verbose flags');
    const [{ systemDf }, view] = await Promise.all([import('../../../engine/system/df.js'), import('../../output/views/system-df-view.js')]);
    const report = await systemDf(await engineContext(global));
    if (args.verbose) {
      const { alignColumns } = await import('../../output/table.js');
      printText(view.dfVerboseTables(report).map((t) => `${t.title}\n\n${alignColumns(t.rows)}`).join('\n'));
      return 0;
    }
    const { renderListing } = await import('../../output/render.js');
    printText(await renderListing(view.dfSummary(report), view.DF_COLUMNS, { format }));
    return 0;
  },
};
