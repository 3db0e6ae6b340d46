/**
 * The flags that pick which containers a multi-target verb acts on (stop,
 * kill, start, rm): --all, --latest, --filter, --cidfile, --ignore, and
 * podman's checks of how they combine with container names.
 */
import type { OptionSpec, ParsedArgs } from '../command.js';
import { InvalidArgumentError } from '../../util/errors.js';

export const ALL_OPTION = (describe: string): OptionSpec => ({ alias: 'a', type: 'boolean', default: false, describe });
export const LATEST_OPTION: OptionSpec = { alias: 'l', type: 'boolean', default: false, describe: 'Act on the latest container skiff is aware of' };
export const FILTER_OPTION: OptionSpec = {
  alias: 'f',
  type: 'string',
  array: true,
  describe: 'Filter containers by conditions given: id=, name=, label=, status=, exited=, ancestor=, before=, since=, until=, restart-policy=',
};
export const CIDFILE_OPTION: OptionSpec = { type: 'string', array: true, describe: 'Read the container ID from the file' };
export const IGNORE_OPTION: OptionSpec = { alias: 'i', type: 'boolean', default: false, describe: 'Ignore errors when a specified container is missing' };

/** What a verb was asked to act on, read from its flags. */
export interface TargetFlags {
  names: string[];
  all: boolean;
  latest: boolean;
  filters: string[];
  cidFiles: string[];
  ignore: boolean;
}

/** Reads the selection flags a command has (absent ones are off). */
export function targetFlags(args: ParsedArgs): TargetFlags {
  return {
    names: args._,
    all: Boolean(args.all),
    latest: Boolean(args.latest),
    filters: ((args.filter as string[] | undefined) ?? []).map(String),
    cidFiles: ((args.cidfile as string[] | undefined) ?? []).map(String),
    ignore: Boolean(args.ignore),
  };
}

/**
 * podman's checks (CheckAllLatestAndCIDFile, and `--filter takes no
 * arguments` where `filterTakesNoNames`), with podman's messages; throws an
 * InvalidArgumentError (exit 125) for a combination that makes no sense.
 */
export function checkTargetFlags(flags: TargetFlags, options: { filterTakesNoNames?: boolean } = {}): void {
  const named = flags.names.length > 0;
  const cidFile = flags.cidFiles.length > 0;
  if (named && flags.latest) throw new InvalidArgumentError('--latest and containers cannot be used together');
  if (named && cidFile) throw new InvalidArgumentError('no arguments are needed with --latest or --cidfile');
  if (flags.all && flags.latest) throw new InvalidArgumentError('--all and --latest cannot be used together');
  if ((flags.all || flags.latest) && cidFile) throw new InvalidArgumentError('--all, --latest, and --cidfile cannot be used together');
  if (named && flags.all) throw new InvalidArgumentError('no arguments are needed with --all');
  if (named && flags.filters.length && options.filterTakesNoNames) throw new InvalidArgumentError('--filter takes no arguments');
  if (!named && !flags.all && !flags.latest && !cidFile && !flags.filters.length) {
    throw new InvalidArgumentError('you must provide at least one name or id');
  }
}

/**
 * Parses -t/--time as podman's uint flag: a whole number of seconds, 0 or
 * more; undefined when not given.
 */
export function stopTimeoutFlag(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`invalid argument "${text}" for "-t, --time" flag: not a whole number of seconds`);
  return Number(text);
}
