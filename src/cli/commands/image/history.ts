import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import { renderListing } from '../../output/render.js';

export const historyCommand: CommandDefinition = {
  path: ['image', 'history'],
  aliases: [['history']],
  describe: 'Show history of a specified image',
  synopsis: '[options] IMAGE',
  examples: [["skiff history --format '{{.CreatedBy}}' localhost/bb", 'how each layer was made']],
  options: {
    'no-trunc': { type: 'boolean', default: false, describe: 'Do not truncate the output' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Display the numeric IDs only' },
    format: { type: 'string', describe: 'Change the output to JSON or a Go template' },
    human: { alias: 'H', type: 'boolean', default: true, describe: 'Display sizes and dates in human readable format' },
  },
  positionals: { min: 1, max: 1 },
  async run(args, global) {
    const { imageHistory } = await import('../../../engine/image/manage.js');
    const { HistoryView, HISTORY_COLUMNS } = await import('../../output/views/history-view.js');
    const entries = await imageHistory(await engineContext(global), args._[0]);
    const views = entries.map((e) => new HistoryView(e, Boolean(args['no-trunc']), args.human !== false));
    printText(await renderListing(views, HISTORY_COLUMNS, { format: args.format as string | undefined, quiet: Boolean(args.quiet) }));
    return 0;
  },
};
