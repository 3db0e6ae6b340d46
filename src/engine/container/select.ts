import { readFile } from 'node:fs/promises';
import type { ContainerStatus } from '../../store/containers.js';
import { InvalidArgumentError, isErrno } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { filterContainers, parseContainerFilters } from './filters.js';
import { listContainers } from './record.js';

export interface ContainerSelectOptions {
  /** Names, ids or id prefixes as the user typed them. */
  names: string[];
  all?: boolean;
  latest?: boolean;
  /** Raw `--filter` values (KEY=VALUE). */
  filters?: string[];
  /** Files holding a container id each (`--cidfile`). */
  cidFiles?: string[];
  /** A missing --cidfile is skipped (`--ignore`). */
  ignore?: boolean;
  /** With --all / --filter / --latest, only containers in these states. */
  states?: ContainerStatus[];
}

/**
 * Which containers a multi-target verb acts on, as podman's
 * getContainersAndInputByContext picks them: the names as given plus the
 * ids read from --cidfile files (each printed back as typed), or with
 * --all / --filter / --latest the matching containers by full id, newest
 * first. With filters and names, the filtered containers whose full id or
 * name is one of the names. Names are not resolved here: the verb reports
 * the one that does not exist. Reads the store without locks.
 */
export async function selectContainers(ctx: EngineContext, options: ContainerSelectOptions): Promise<string[]> {
  const filters = parseContainerFilters(options.filters ?? []);
  const selecting = options.all || options.latest || filters.length > 0;
  if (!selecting) return [...options.names, ...(await readCidFiles(options.cidFiles ?? [], options.ignore))];
  const every = await listContainers(ctx, { all: true });
  let list = options.states ? every.filter((c) => options.states!.includes(c.state.status)) : every;
  list = filterContainers(list, filters, every);
  if (options.names.length) list = list.filter((c) => options.names.includes(c.record.id) || options.names.includes(c.record.name));
  if (options.latest) list = list.slice(0, 1);
  return list.map((c) => c.record.id);
}

/**
 * The container ids in --cidfile files, in order, with podman's message for
 * a missing file (skipped instead with `ignore`, as rm/stop --ignore do).
 */
export async function readCidFiles(files: string[], ignore = false): Promise<string[]> {
  const ids: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) {
        if (ignore) return undefined;
        throw new InvalidArgumentError(`reading CIDFile: open ${file}: no such file or directory`);
      }
      throw err;
    });
    if (text !== undefined) ids.push(text.trim());
  }
  return ids;
}
