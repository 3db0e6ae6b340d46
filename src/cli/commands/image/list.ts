import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import { renderListing } from '../../output/render.js';

export const imagesCommand: CommandDefinition = {
  path: ['image', 'list'],
  aliases: [['images'], ['image', 'ls']],
  describe: 'List images in local storage',
  synopsis: '[options] [IMAGE]',
  examples: [['skiff images', 'the local images'], ["skiff images --format '{{.Repository}}:{{.Tag}}'", 'names only']],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Show all images (default hides intermediate images)' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Display only image IDs' },
    'no-trunc': { type: 'boolean', default: false, describe: 'Do not truncate output' },
    format: { type: 'string', describe: "Change the output format to JSON or a Go template" },
    noheading: { alias: 'n', type: 'boolean', default: false, describe: 'Do not print column headings' },
  },
  positionals: { min: 0, max: 1 },
  async run(args, global) {
    const { listImages, matchImage } = await import('../../../engine/images.js');
    const { ImageListView, IMAGE_COLUMNS } = await import('../../output/views/image-list-view.js');
    const ctx = await engineContext(global);
    let images = await listImages(ctx);
    if (args._[0]) images = images.filter((i) => matchImage([i.record], args._[0]) !== undefined);
    images.sort((a, b) => (b.config.created ?? '').localeCompare(a.config.created ?? ''));
    const noTrunc = Boolean(args['no-trunc']);
    // One row per name, as podman; -q and json list each image once.
    const perName = images.flatMap((i) => (i.record.names.length ? i.record.names : [undefined]).map((n) => new ImageListView(i, n, noTrunc)));
    const once = images.map((i) => new ImageListView(i, i.record.names[0], noTrunc));
    const json = args.format === 'json';
    printText(await renderListing(args.quiet || json ? once : perName, IMAGE_COLUMNS, {
      format: args.format as string | undefined,
      quiet: Boolean(args.quiet),
      noHeading: Boolean(args.noheading),
    }));
    return 0;
  },
};
