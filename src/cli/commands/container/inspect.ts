import type { GlobalOptions } from '../../../config/global-options.js';
import type { CommandDefinition, OptionSpec, ParsedArgs } from '../../command.js';
import { engineContext } from '../../context.js';
import { printError, printText } from '../../output/print.js';
import { renderDocument } from '../../output/render.js';
import { InvalidArgumentError, SkiffError } from '../../../util/errors.js';

const INSPECT_OPTIONS: Record<string, OptionSpec> = {
  format: { alias: 'f', type: 'string', describe: "Format the output to JSON or using a Go template ('{{.State.Status}}')" },
};

/** Containers only; measuring reads files owned by sub-ids, so only then is it run in the namespace. */
const CONTAINER_INSPECT_OPTIONS: Record<string, OptionSpec> = {
  ...INSPECT_OPTIONS,
  size: { alias: 's', type: 'boolean', default: false, describe: 'Display total file size (SizeRw, SizeRootFs)' },
};

const LATEST_OPTION: OptionSpec = { alias: 'l', type: 'boolean', default: false, describe: 'Act on the latest container skiff is aware of' };

/** The containers to inspect: the arguments, or with --latest the container created last. */
async function targetsOf(args: ParsedArgs, global: GlobalOptions): Promise<string[]> {
  if (!args.latest) {
    if (args._.length === 0) throw new InvalidArgumentError('inspect requires at least one name or ID, or --latest');
    return args._;
  }
  if (args._.length) throw new InvalidArgumentError('--latest and containers cannot be used together');
  const { listContainers } = await import('../../../engine/container/record.js');
  const latest = await listContainers(await engineContext(global), { latest: true });
  if (latest.length === 0) throw new InvalidArgumentError('no containers to inspect: --latest found none');
  return [latest[0].record.id];
}

/**
 * Inspects containers, images or either (podman's generic `inspect`: a
 * container first, then an image). JSON is one array for all targets; a
 * template prints one line per target.
 */
async function inspect(kind: 'container' | 'image' | 'any', targets: string[], format: string | undefined, global: Parameters<CommandDefinition['run']>[1], size = false): Promise<number> {
  const ctx = await engineContext(global);
  const { inspectTarget } = await import('../../../engine/container/inspect.js');
  const docs: unknown[] = [];
  let code = 0;
  for (const target of targets) {
    try {
      docs.push(await inspectTarget(ctx, kind, target, { size }));
    } catch (err) {
      if (!(err instanceof SkiffError)) throw err;
      printError(err.message);
      code = 125;
    }
  }
  if (!format || format === 'json') printText(JSON.stringify(docs, null, 4) + '\n');
  else for (const doc of docs) printText(await renderDocument(doc, format));
  return code;
}

export const containerInspectCommand: CommandDefinition = {
  path: ['container', 'inspect'],
  aliases: [],
  describe: 'Display the configuration of a container',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [
    ["skiff container inspect --format '{{.State.Status}}' web", 'the state of web'],
    ["skiff container inspect --size --format '{{.SizeRw}}' web", 'how many bytes web has written to its root filesystem'],
    ["skiff container inspect -l --format '{{.LogPath}}'", 'the log file of the container created last'],
  ],
  options: { ...CONTAINER_INSPECT_OPTIONS, latest: LATEST_OPTION },
  positionals: { min: 0 },
  usernsWhen: (args) => Boolean(args.size),
  run: async (args, global) => inspect('container', await targetsOf(args, global), args.format as string | undefined, global, Boolean(args.size)),
};

export const imageInspectCommand: CommandDefinition = {
  path: ['image', 'inspect'],
  aliases: [],
  describe: 'Display the configuration of an image',
  synopsis: '[options] IMAGE [IMAGE...]',
  examples: [["skiff image inspect --format '{{.Id}}' localhost/bb", 'the id of an image']],
  options: INSPECT_OPTIONS,
  positionals: { min: 1 },
  run: (args, global) => inspect('image', args._, args.format as string | undefined, global),
};

export const inspectCommand: CommandDefinition = {
  path: ['inspect'],
  aliases: [],
  describe: 'Display the configuration of a container or image',
  synopsis: '[options] {CONTAINER|IMAGE} [...]',
  examples: [
    ['skiff inspect web', 'a container (or, failing that, an image) as JSON'],
    ['skiff inspect -s web', "with the container's SizeRw and SizeRootFs"],
    ["skiff inspect --type image --format '{{.ID}}' localhost/bb", 'only an image of that name, not a container'],
  ],
  options: {
    ...CONTAINER_INSPECT_OPTIONS,
    latest: LATEST_OPTION,
    type: { alias: 't', type: 'string', default: 'all', choices: ['all', 'container', 'image'], describe: 'Only inspect an object of this type: container, image or all' },
  },
  positionals: { min: 0 },
  usernsWhen: (args) => Boolean(args.size),
  async run(args, global) {
    const type = String(args.type);
    if (args.latest && type === 'image') throw new InvalidArgumentError('--latest is for containers, not --type image');
    const kind = args.latest ? 'container' : type === 'all' ? 'any' : (type as 'container' | 'image');
    return inspect(kind, await targetsOf(args, global), args.format as string | undefined, global, Boolean(args.size));
  },
};
