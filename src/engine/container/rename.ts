import { readFile } from 'node:fs/promises';
import type { MonitorConfig } from '../../monitor/protocol.js';
import { ContainerGoneError, ContainerStore, NameInUseError } from '../../store/containers.js';
import { SkiffError, isErrno } from '../../util/errors.js';
import { writeJsonAtomic } from '../../util/fs.js';
import type { EngineContext } from '../context.js';
import { NoSuchContainerError } from '../errors.js';
import { checkContainerName } from './create.js';
import { resolveContainerId, type ContainerRecord } from './record.js';

/** The new name is held by another container (podman: "container already exists"). */
export class ContainerRenameConflictError extends SkiffError {
  constructor(id: string, name: string) {
    super('ENAMEINUSE', `renaming container ${id}: name ${name} already in use, cannot rename container ${id}: container already exists`, {
      hint: 'choose another name, or remove the container that has it',
    });
  }
}

/**
 * Renames a container, in any state (`skiff rename`). Under the container's
 * lock: the new name is reserved first (exclusive, so of two renames to one
 * name exactly one wins), then the record and the monitor's config are
 * rewritten (each atomically), and only then is the old name released, so
 * the container is never without a name. A failure after the reservation
 * releases it again and leaves the record as it was.
 *
 * A running container keeps what it was started with: its hostname is its
 * short id, not its name, and its /etc/hosts line keeps the old name (as
 * with podman, which documents that running containers may not see the new
 * name until restarted).
 */
export async function renameContainer(ctx: EngineContext, nameOrId: string, newName: string): Promise<void> {
  checkContainerName(newName);
  const id = await resolveContainerId(ctx, nameOrId);
  const store = new ContainerStore(ctx.layout);
  await store.withContainerLock(id, async () => {
    const record = await store.readConfig<ContainerRecord>(id);
    if (!record) throw new NoSuchContainerError(nameOrId);
    // podman: renaming to the current name succeeds and changes nothing.
    if (record.name === newName) return;
    try {
      await store.reserveName(newName, id);
    } catch (err) {
      if (err instanceof NameInUseError) throw new ContainerRenameConflictError(id, newName);
      throw err;
    }
    try {
      await store.writeConfig(id, { ...record, name: newName });
      await renameInMonitorConfig(ctx, id, newName);
    } catch (err) {
      await store.writeConfig(id, record);
      await store.releaseName(newName, id);
      throw err;
    }
    await store.releaseName(record.name, id);
  }).catch((err: unknown) => {
    if (err instanceof ContainerGoneError) throw new NoSuchContainerError(nameOrId);
    throw err;
  });
}

/** monitor.json carries the name a --rm container frees when its monitor removes it; absent once a removal got past it. */
async function renameInMonitorConfig(ctx: EngineContext, id: string, name: string): Promise<void> {
  const path = ctx.layout.containerMonitorConfig(id);
  let monitor: MonitorConfig;
  try {
    monitor = JSON.parse(await readFile(path, 'utf8')) as MonitorConfig;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  await writeJsonAtomic(path, { ...monitor, name }, 0o600);
}
