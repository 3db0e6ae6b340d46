import type { Options } from 'yargs';
import { InvalidArgumentError } from '../util/errors.js';
import type { CommandDefinition, ParsedArgs } from './command.js';

/** Flags accepted before or after any command (cobra's persistent flags). */
export const GLOBAL_OPTIONS: Record<string, Options> = {
  root: { type: 'string', describe: 'Path to the graph root directory where images and containers are stored' },
  runroot: { type: 'string', describe: 'Path to the run root directory where state and sockets are kept' },
  'storage-driver': { type: 'string', choices: ['overlay', 'vfs'], describe: 'Select which storage driver is used to manage storage of images and containers' },
  runtime: { type: 'string', describe: 'Path or name of the OCI runtime (crun or runc)' },
  'log-level': { type: 'string', choices: ['debug', 'info', 'warn', 'error'], default: 'warn', describe: 'Log messages above specified level' },
};

/**
 * Parses a command's flags with yargs. For run/create (stopAfterPositionals)
 * flags are read only up to IMAGE; what follows is the container's command,
 * verbatim, so `run img sh -c 'x'` keeps its -c.
 */
export async function parseCommandArgs(command: CommandDefinition, tokens: string[]): Promise<ParsedArgs> {
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  const { flags, verbatim } = splitAtPositional(tokens, options, command.stopAfterPositionals);
  const { default: yargs } = await import('yargs');
  const parsed = await yargs(flags)
    .options(options)
    .parserConfiguration({
      'greedy-arrays': false,
      'parse-positional-numbers': false,
      'camel-case-expansion': false,
      'duplicate-arguments-array': true,
      'strip-aliased': true,
      'boolean-negation': false,
    })
    .strictOptions()
    .help(false)
    .version(false)
    .exitProcess(false)
    .fail((message, err) => {
      throw new InvalidArgumentError(message ?? err?.message ?? 'invalid arguments', { hint: `run \`skiff ${command.path.join(' ')} --help\`` });
    })
    .parseAsync();
  const args: ParsedArgs = { ...parsed, _: [...parsed._.map(String), ...verbatim] };
  // A repeated scalar flag keeps its last value, as pflag does; only list flags accumulate.
  for (const [key, spec] of Object.entries(options)) {
    if (!spec.array && Array.isArray(args[key])) args[key] = (args[key] as unknown[]).at(-1);
  }
  const count = args._.length;
  const { min, max } = command.positionals;
  if (count < min || (max !== undefined && count > max)) {
    const want = max === undefined ? `at least ${min}` : min === max ? `exactly ${min}` : `${min} to ${max}`;
    throw new InvalidArgumentError(`\`skiff ${command.path.join(' ')}\` requires ${want} argument${max === 1 || (max === undefined && min === 1) ? '' : 's'}, got ${count}`, {
      hint: `usage: skiff ${command.path.join(' ')} ${command.synopsis}`,
    });
  }
  return args;
}

/** Splits tokens into what yargs parses and what is passed through untouched. */
export function splitAtPositional(tokens: string[], options: Record<string, Options>, stopAfter?: number): { flags: string[]; verbatim: string[] } {
  if (stopAfter === undefined) return { flags: tokens, verbatim: [] };
  const takesValue = new Set<string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type === 'boolean') continue;
    takesValue.add(name);
    for (const alias of [spec.alias ?? []].flat()) takesValue.add(alias);
  }
  let positionals = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === '--') {
      return { flags: tokens.slice(0, i + 2), verbatim: tokens.slice(i + 2) };
    }
    if (token.startsWith('--')) {
      if (!token.includes('=') && takesValue.has(token.slice(2))) i++;
      continue;
    }
    if (token.startsWith('-') && token.length > 1) {
      // A cluster like -it or -e X: a value flag takes the rest of the cluster or the next token.
      for (let c = 1; c < token.length; c++) {
        if (takesValue.has(token[c])) {
          if (c === token.length - 1) i++;
          break;
        }
      }
      continue;
    }
    if (++positionals === stopAfter) return { flags: tokens.slice(0, i + 1), verbatim: tokens.slice(i + 1) };
  }
  return { flags: tokens, verbatim: [] };
}

/** The tokens flag parsing looks at (so `run img cmd --help` is the container's --help). */
export function beforeVerbatim(tokens: string[], command: CommandDefinition): string[] {
  return splitAtPositional(tokens, { ...GLOBAL_OPTIONS, ...command.options }, command.stopAfterPositionals).flags;
}

