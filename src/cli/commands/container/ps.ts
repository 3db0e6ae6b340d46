import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import { renderListing } from '../../output/render.js';

export const psCommand: CommandDefinition = {
  path: ['container', 'ps'],
  aliases: [['ps'], ['container', 'ls'], ['container', 'list']],
  describe: 'List containers',
  synopsis: '[options]',
  examples: [
    ['skiff ps -a', 'all containers, running or not'],
    ["skiff ps -a --format '{{.ID}} {{.Names}} {{.Status}}'", 'chosen fields through a Go template'],
    ['skiff ps -aq', 'only the ids, for scripts'],
  ],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Show all the containers, default is only running containers' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Print the numeric IDs of the containers only' },
    'no-trunc': { type: 'boolean', default: false, describe: 'Display the extended information' },
    format: { type: 'string', describe: "Pretty-print containers to JSON or using a Go template ('json', 'table {{.ID}}\\t{{.Names}}')" },
    noheading: { alias: 'n', type: 'boolean', default: false, describe: 'Do not print headers' },
    latest: { alias: 'l', type: 'boolean', default: false, describe: 'Show only the latest container created' },
    // podman lists here the containers other tools (buildah) keep in its storage; skiff's store is its own, so there are none to add.
    external: { type: 'boolean', default: false, describe: 'Show containers in storage not controlled by skiff (none: no other tool shares its store)' },
  },
  positionals: { min: 0, max: 0 },
  async run(args, global) {
    const { listContainers } = await import('../../../engine/container/record.js');
    const { ContainerListView, CONTAINER_COLUMNS } = await import('../../output/views/container-list-view.js');
    const ctx = await engineContext(global);
    const containers = await listContainers(ctx, { all: Boolean(args.all), latest: Boolean(args.latest) });
    const views = containers.map((c) => new ContainerListView(c, Boolean(args['no-trunc'])));
    printText(await renderListing(views, CONTAINER_COLUMNS, {
      format: args.format as string | undefined,
      quiet: Boolean(args.quiet),
      noHeading: Boolean(args.noheading),
    }));
    return 0;
  },
};
