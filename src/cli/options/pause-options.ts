import type { OptionSpec, ParsedArgs } from '../command.js';
import { InvalidArgumentError } from '../../util/errors.js';

/** The flags `pause` and `unpause` share, as podman's. */
export function pauseOptions(verb: 'Pause' | 'Unpause'): Record<string, OptionSpec> {
  return {
    all: { alias: 'a', type: 'boolean', default: false, describe: verb === 'Pause' ? 'Pause all running containers' : 'Unpause all paused containers' },
    cidfile: { type: 'string', array: true, describe: 'Read the container ID from the file' },
    filter: { alias: 'f', type: 'string', array: true, describe: 'Act on the containers that match a filter (id=, name=, label=, status=, ...; as ps)' },
    latest: { alias: 'l', type: 'boolean', default: false, describe: 'Act on the latest container skiff is aware of' },
  };
}

/**
 * podman's checks of how targets are chosen (names, --cidfile, --all,
 * --latest, --filter), in its order and with its messages; throws
 * InvalidArgumentError (exit 125).
 */
export function checkPauseSelection(args: ParsedArgs): { filters: string[]; cidFiles: string[] } {
  const filters = (args.filter as string[] | undefined) ?? [];
  const cidFiles = (args.cidfile as string[] | undefined) ?? [];
  const names = args._.length > 0;
  if (args.all && args.latest) throw new InvalidArgumentError('--all and --latest cannot be used together');
  if (cidFiles.length && (args.all || args.latest)) throw new InvalidArgumentError('--all, --latest, and --cidfile cannot be used together');
  if (names && args.latest) throw new InvalidArgumentError('--latest and containers cannot be used together');
  if (names && args.all) throw new InvalidArgumentError('no arguments are needed with --all');
  if (names && cidFiles.length) throw new InvalidArgumentError('no arguments are needed with --latest or --cidfile');
  if (names && filters.length) throw new InvalidArgumentError('--filter takes no arguments');
  if (!names && !args.all && !args.latest && !cidFiles.length && !filters.length) throw new InvalidArgumentError('you must provide at least one name or id');
  return { filters, cidFiles };
}
