import { SkiffError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { ContainerStateError, NoSuchContainerError } from '../errors.js';
import { filterContainers, type ContainerFilter } from './filters.js';
import { removeContainer } from './lifecycle.js';
import { listContainers } from './record.js';

export interface ContainerPruneReport {
  /** Full ids of the removed containers. */
  removed: string[];
  /** Containers that could not be removed, with why. */
  errors: Array<{ id: string; error: SkiffError }>;
}

/**
 * Removes every container that is not running (created, stopped, exited, or
 * whose monitor died) and passes `filters` (`skiff container prune`). A
 * container that starts, or is removed by someone else, between the listing
 * and its removal is skipped. Runs in the user namespace (removal deletes
 * files of sub-ids); takes each container's lock through removeContainer.
 */
export async function pruneContainers(ctx: EngineContext, filters: ContainerFilter[]): Promise<ContainerPruneReport> {
  const report: ContainerPruneReport = { removed: [], errors: [] };
  const candidates = filterContainers((await listContainers(ctx)).filter((c) => c.state.status !== 'running'), filters);
  for (const c of candidates) {
    try {
      await removeContainer(ctx, c.record.id, { force: false });
      report.removed.push(c.record.id);
    } catch (err) {
      if (err instanceof ContainerStateError || err instanceof NoSuchContainerError) continue;
      if (!(err instanceof SkiffError)) throw err;
      report.errors.push({ id: c.record.id, error: err });
    }
  }
  return report;
}
