import type { CommandDefinition, OptionSpec } from '../../command.js';
import { engineContext } from '../../context.js';
import { printError, printText } from '../../output/print.js';
import { renderDocument } from '../../output/render.js';
import { SkiffError } from '../../../util/errors.js';

const INSPECT_OPTIONS: Record<string, OptionSpec> = {
  format: { alias: 'f', type: 'string', describe: "Format the output to JSON or using a Go template ('{{.State.Status}}')" },
};

/** Containers only; measuring reads files owned by sub-ids, so only then is it run in the namespace. */
const CONTAINER_INSPECT_OPTIONS: Record<string, OptionSpec> = {
  ...INSPECT_OPTIONS,
  size: { alias: 's', type: 'boolean', default: false, describe: 'Display total file size (SizeRw, SizeRootFs)' },
};

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
  ],
  options: CONTAINER_INSPECT_OPTIONS,
  positionals: { min: 1 },
  usernsWhen: (args) => Boolean(args.size),
  run: (args, global) => inspect('container', args._, args.format as string | undefined, global, Boolean(args.size)),
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
  ],
  options: CONTAINER_INSPECT_OPTIONS,
  positionals: { min: 1 },
  usernsWhen: (args) => Boolean(args.size),
  run: (args, global) => inspect('any', args._, args.format as string | undefined, global, Boolean(args.size)),
};
