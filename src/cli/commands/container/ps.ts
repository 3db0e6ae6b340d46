import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import { renderListing } from '../../output/render.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const psCommand: CommandDefinition = {
  path: ['container', 'ps'],
  aliases: [['ps'], ['container', 'ls'], ['container', 'list']],
  describe: 'List containers',
  synopsis: '[options]',
  examples: [
    ['skiff ps -a', 'all containers, running or not'],
    ["skiff ps -a --format '{{.ID}} {{.Names}} {{.Status}}'", 'chosen fields through a Go template'],
    ['skiff ps -aq', 'only the ids, for scripts'],
    ['skiff ps --filter status=exited --filter exited=0', 'containers that ended well'],
    ["skiff ps -a --filter 'name=^web' --filter label=tier=front --sort names", 'by name and label, sorted by name'],
    ['skiff ps -n 3', 'the 3 containers created last, in any state'],
    ['skiff ps -a --size', 'with a SIZE column: what each container wrote, and its image (virtual)'],
  ],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Show all the containers, default is only running containers' },
    filter: {
      alias: 'f',
      type: 'string',
      array: true,
      describe: 'Filter output based on conditions given: id=, name= (a regular expression), label=KEY[=VALUE], status=, exited=CODE, ancestor=IMAGE, before=, since=CONTAINER, volume=, network=, health=',
    },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Print the numeric IDs of the containers only' },
    'no-trunc': { type: 'boolean', default: false, describe: 'Display the extended information' },
    format: { type: 'string', describe: "Pretty-print containers to JSON or using a Go template ('json', 'table {{.ID}}\\t{{.Names}}')" },
    noheading: { type: 'boolean', default: false, describe: 'Do not print headers' },
    size: { alias: 's', type: 'boolean', default: false, describe: 'Display the total file sizes' },
    last: { alias: 'n', type: 'number', default: -1, describe: 'Print the n last created containers (all states)' },
    latest: { alias: 'l', type: 'boolean', default: false, describe: 'Show only the latest container created' },
    sort: { type: 'string', default: 'created', choices: ['command', 'created', 'id', 'image', 'names', 'runningfor', 'size', 'status'], describe: 'Sort output by: command, created, id, image, names, runningfor, size, status' },
    // podman lists here the containers other tools (buildah) keep in its storage; skiff's store is its own, so there are none to add.
    external: { type: 'boolean', default: false, describe: 'Show containers in storage not controlled by skiff (none: no other tool shares its store)' },
  },
  positionals: { min: 0, max: 0 },
  // Measuring reads files owned by sub-ids; plain ps stays out of the namespace.
  usernsWhen: (args) => Boolean(args.size),
  async run(args, global) {
    const { listContainers } = await import('../../../engine/container/record.js');
    const { filterContainers, parseContainerFilters, sortContainers } = await import('../../../engine/container/filters.js');
    const { ContainerListView, CONTAINER_COLUMNS, CONTAINER_SIZE_COLUMNS } = await import('../../output/views/container-list-view.js');
    const filters = parseContainerFilters(((args.filter as string[] | undefined) ?? []).map(String));
    const last = Number(args.last);
    if (!Number.isInteger(last)) throw new InvalidArgumentError(`invalid argument "${String(args.last)}" for "-n, --last" flag`);
    if (last >= 0 && args.latest) throw new InvalidArgumentError('--last and --latest cannot be used together');
    const ctx = await engineContext(global);
    const every = await listContainers(ctx, { all: true });
    // As podman: -n, -l and a status= filter each imply --all.
    const all = Boolean(args.all) || last > 0 || Boolean(args.latest) || filters.some((f) => f.key === 'status');
    let containers = filterContainers(all ? every : every.filter((c) => c.state.status === 'running'), filters, every);
    if (args.latest) containers = containers.slice(0, 1);
    if (last >= 0) containers = containers.slice(0, last);
    const sizes = args.size ? await (await import('../../../engine/container/size.js')).containerSizes(ctx, containers) : undefined;
    containers = sortContainers(containers, String(args.sort ?? 'created') as Parameters<typeof sortContainers>[1], sizes);
    const views = containers.map((c) => new ContainerListView(c, Boolean(args['no-trunc']), sizes?.get(c.record.id)));
    printText(await renderListing(views, sizes ? CONTAINER_SIZE_COLUMNS : CONTAINER_COLUMNS, {
      format: args.format as string | undefined,
      quiet: Boolean(args.quiet),
      noHeading: Boolean(args.noheading),
    }));
    return 0;
  },
};
