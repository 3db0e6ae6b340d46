import { InvalidArgumentError } from '../util/errors.js';
import { LOG_LEVELS } from '../util/log.js';
import type { CommandDefinition, OptionSpec, ParsedArgs } from './command.js';

/** Flags accepted before or after any command (cobra's persistent flags). */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  root: { type: 'string', describe: 'Path to the graph root directory where images and containers are stored' },
  runroot: { type: 'string', describe: 'Path to the run root directory where state and sockets are kept' },
  'storage-driver': { type: 'string', choices: ['overlay', 'vfs'], describe: 'Select which storage driver is used to manage storage of images and containers' },
  'storage-opt': { type: 'string', array: true, describe: 'Used to pass an option to the storage driver (overlay.mount_program=PATH, overlay.mountopt=OPTS, overlay.ignore_chown_errors=BOOL, vfs.ignore_chown_errors=BOOL)' },
  runtime: { type: 'string', describe: 'Path or name of the OCI runtime (crun or runc)' },
  'runtime-flag': { type: 'string', array: true, describe: 'Add global flags for the container runtime (FLAG becomes --FLAG; kept with containers created by run and create)' },
  'log-level': { type: 'string', choices: [...LOG_LEVELS], default: 'warn', describe: 'Log messages above specified level' },
  noout: { type: 'boolean', default: false, describe: 'Do not output to stdout' },
};

/**
 * Parses a command's flags with yargs. For run/create (stopAfterPositionals)
 * flags are read only up to IMAGE; what follows is the container's command,
 * verbatim, so `run img sh -c 'x'` keeps its -c.
 */
export async function parseCommandArgs(command: CommandDefinition, tokens: string[]): Promise<ParsedArgs> {
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  const split = splitAtPositional(tokens, options, command.stopAfterPositionals);
  const flags = normalizeFlagTokens(split.flags, options);
  const verbatim = split.verbatim;
  // yargs-parser is yargs' own parser; the yargs framework around it costs
  // ~150 ms of start-up that a CLI with its own command table does not need.
  const { default: parser } = await import('yargs-parser');
  const byType = (type: OptionSpec['type']) => Object.keys(options).filter((k) => options[k].type === type);
  const parsed = parser.detailed(flags, {
    boolean: byType('boolean'),
    string: byType('string'),
    number: byType('number'),
    array: Object.keys(options).filter((k) => options[k].array),
    alias: Object.fromEntries(Object.entries(options).filter(([, o]) => o.alias).map(([k, o]) => [k, [o.alias!].flat()])),
    default: Object.fromEntries(Object.entries(options).filter(([, o]) => o.default !== undefined).map(([k, o]) => [k, o.default])),
    configuration: {
      'greedy-arrays': false,
      'parse-positional-numbers': false,
      'camel-case-expansion': false,
      'duplicate-arguments-array': true,
      'strip-aliased': true,
      'boolean-negation': false,
      'short-option-groups': true,
    },
  });
  if (parsed.error) throw new InvalidArgumentError(parsed.error.message);
  validateFlags(command, options, parsed.argv);
  const parsedArgv = parsed.argv as ParsedArgs & { _: Array<string | number> };
  const args: ParsedArgs = { ...parsedArgv, _: [...parsedArgv._.map(String), ...verbatim] };
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

/** Unknown flags, bad numbers and values outside `choices` are errors, as pflag makes them. */
function validateFlags(command: CommandDefinition, options: Record<string, OptionSpec>, argv: Record<string, unknown>): void {
  const hint = `run \`skiff ${command.path.join(' ')} --help\``;
  for (const [key, value] of Object.entries(argv)) {
    if (key === '_' || key === '--') continue;
    const spec = options[key];
    if (!spec) {
      const flag = key.length === 1 ? `-${key}` : `--${key}`;
      throw new InvalidArgumentError(`unknown flag: ${flag}`, { hint });
    }
    for (const v of [value].flat()) {
      if (spec.type === 'number' && (typeof v !== 'number' || Number.isNaN(v))) {
        throw new InvalidArgumentError(`invalid argument for --${key}: expected a number`, { hint });
      }
      if (spec.choices && !spec.choices.includes(String(v))) {
        throw new InvalidArgumentError(`invalid argument "${v}" for --${key}: choose one of ${spec.choices.join(', ')}`, { hint });
      }
    }
  }
}

/** The spellings Go's strconv.ParseBool accepts, which pflag uses for --flag=VALUE. */
const PARSE_BOOL: Record<string, boolean> = {
  '1': true, t: true, T: true, TRUE: true, true: true, True: true,
  '0': false, f: false, F: false, FALSE: false, false: false, False: false,
};

/**
 * Rewrites flag tokens so yargs-parser reads them as pflag does: a boolean's
 * `--flag=VALUE` (and `-f=VALUE`) takes strconv.ParseBool's spellings and
 * refuses any other (yargs would read `--tls-verify=TRUE` as false), and a
 * short flag that takes a value takes the rest of its cluster (`-eA=1`,
 * `-e=A=1`, `-ieA=1`). Tokens after `--` are left alone.
 */
export function normalizeFlagTokens(tokens: string[], options: Record<string, OptionSpec>): string[] {
  const byShort = new Map<string, string>();
  const byName = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) {
    byName.set(name, name);
    for (const alias of [spec.alias ?? []].flat()) (alias.length === 1 ? byShort : byName).set(alias, name);
  }
  const toBool = (value: string, shown: string): string => {
    const b = PARSE_BOOL[value];
    if (b === undefined) throw new InvalidArgumentError(`invalid argument "${value}" for "${shown}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
    return String(b);
  };
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === '--') {
      out.push(...tokens.slice(i));
      break;
    }
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const name = byName.get(token.slice(2, eq < 0 ? undefined : eq));
      const spec = name === undefined ? undefined : options[name];
      if (spec?.type === 'boolean' && eq >= 0) out.push(`--${name}=${toBool(token.slice(eq + 1), `--${name}`)}`);
      // pflag's booleans never take the next token (`exec -l true` runs true): yargs' would.
      else if (spec?.type === 'boolean') out.push(`--${name}=true`);
      // A value flag's next token is its value, whatever it looks like (`--env --x`).
      else if (spec && eq < 0 && i + 1 < tokens.length) out.push(`--${name}=${tokens[++i]}`);
      else out.push(token);
      continue;
    }
    if (!token.startsWith('-') || token.length < 2) {
      out.push(token);
      continue;
    }
    for (let c = 1; c < token.length; c++) {
      const letter = token[c];
      const name = byShort.get(letter);
      const spec = name === undefined ? undefined : options[name];
      const rest = token.slice(c + 1);
      if (!spec) {
        out.push(`-${letter}`); // reported as an unknown flag
        continue;
      }
      if (spec.type === 'boolean') {
        if (rest.startsWith('=')) {
          out.push(`--${name}=${toBool(rest.slice(1), `-${letter}`)}`);
          break;
        }
        out.push(`--${name}=true`);
        continue;
      }
      if (rest !== '') out.push(`--${name}=${rest.startsWith('=') ? rest.slice(1) : rest}`);
      else if (i + 1 < tokens.length) out.push(`--${name}=${tokens[++i]}`);
      else out.push(`--${name}`);
      break;
    }
  }
  return out;
}

/** Splits tokens into what yargs parses and what is passed through untouched. */
export function splitAtPositional(tokens: string[], options: Record<string, OptionSpec>, stopAfter?: number): { flags: string[]; verbatim: string[] } {
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

