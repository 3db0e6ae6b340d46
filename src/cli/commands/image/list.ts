import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import { renderListing } from '../../output/render.js';

export const imagesCommand: CommandDefinition = {
  path: ['image', 'list'],
  aliases: [['images'], ['image', 'ls']],
  describe: 'List images in local storage',
  synopsis: '[options] [IMAGE]',
  examples: [
    ['skiff images', 'the local images'],
    ["skiff images --format '{{.Repository}}:{{.Tag}}'", 'names only'],
    ["skiff images --filter 'reference=localhost/*' --filter label=maintainer", 'local images with a maintainer label'],
    ['skiff images --filter dangling=true -q', 'the ids of images without a name'],
    ['skiff images --digests --sort repository', 'with manifest digests, by repository'],
  ],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: "Show all images, the intermediate ones too (a build's steps: without a name, and the parent of another image)" },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Display only image IDs' },
    'no-trunc': { type: 'boolean', default: false, describe: 'Do not truncate output' },
    digests: { type: 'boolean', default: false, describe: 'Show digests' },
    filter: {
      alias: 'f',
      type: 'string',
      array: true,
      describe: 'Filter output based on conditions provided: dangling=true|false, reference=PATTERN, label=KEY[=VALUE], before=IMAGE, since=IMAGE',
    },
    sort: { type: 'string', default: 'created', choices: ['created', 'id', 'repository', 'size', 'tag'], describe: 'Sort by created, id, repository, size or tag' },
    format: { type: 'string', describe: "Change the output format to JSON or a Go template" },
    noheading: { alias: 'n', type: 'boolean', default: false, describe: 'Do not print column headings' },
  },
  positionals: { min: 0, max: 1 },
  async run(args, global) {
    const { listImages } = await import('../../../engine/image/images.js');
    const { filterImages, imageArgMatches, parseImageFilters, sortImageRows, withoutIntermediate } = await import('../../../engine/image/filters.js');
    const { ImageListView, imageColumns, listedNames } = await import('../../output/views/image-list-view.js');
    const filters = parseImageFilters(((args.filter as string[] | undefined) ?? []).map(String));
    const sortKey = String(args.sort ?? 'created') as 'created' | 'id' | 'repository' | 'size' | 'tag';
    const ctx = await engineContext(global);
    const all = await listImages(ctx);
    let images = filterImages(args.all ? all : withoutIntermediate(all), filters, all);
    const arg = args._[0];
    if (arg !== undefined) images = images.filter((i) => imageArgMatches(i, String(arg), all));
    const noTrunc = Boolean(args['no-trunc']);
    // One row per name, as podman; -q and json list each image once.
    const perName = sortImageRows(images.flatMap((image) => listedNames(image.record.names).map((name) => ({ image, name }))), sortKey);
    const once = sortImageRows(images.map((image) => ({ image, name: listedNames(image.record.names)[0] })), sortKey);
    const json = args.format === 'json';
    const rows = args.quiet || json ? once : perName;
    printText(await renderListing(rows.map((r) => new ImageListView(r.image, r.name, noTrunc)), imageColumns({ digests: Boolean(args.digests) }), {
      format: args.format as string | undefined,
      quiet: Boolean(args.quiet),
      noHeading: Boolean(args.noheading),
    }));
    return 0;
  },
};
