import type { RuntimeRef } from '../../runtime/driver.js';
import { ContainerStore } from '../../store/containers.js';
import { isErrno } from '../../util/errors.js';
import { readJsonIfExists, writeJsonAtomic } from '../../util/fs.js';
import { EngineContext } from '../context.js';
import { isRunningOrPaused, listContainers, type ContainerRecord } from '../container/record.js';

export interface SystemMigrateOptions {
  /** Make every container use this OCI runtime (a name or a path), as podman's --new-runtime. */
  newRuntime?: string;
}

export interface SystemMigrateReport {
  /** Containers that were running and were stopped. */
  stopped: string[];
  /** Containers given the new runtime. */
  migrated: string[];
  /** Whether the pause process was ended (the next command makes a new namespace). */
  pauseEnded: boolean;
}

/**
 * `system migrate`, what it means for skiff: stops every running container
 * (their processes live in the current namespace), with `newRuntime` moves
 * each container to that OCI runtime (its config and monitor config, under
 * its lock), and ends the pause process, so that the next command creates
 * the user namespace afresh from /etc/subuid and /etc/subgid, as podman's
 * migrate does after a change of the ranges. Run as root of the user
 * namespace (a namespaced command, as stop); rootful there is no pause
 * process.
 */
export async function systemMigrate(ctx: EngineContext, options: SystemMigrateOptions): Promise<SystemMigrateReport> {
  let runtime: RuntimeRef | undefined;
  if (options.newRuntime !== undefined) {
    const choice = await new EngineContext({ ...ctx.global, runtime: options.newRuntime }).runtime();
    runtime = { name: choice.name, path: choice.path };
  }
  const { stopContainer } = await import('../container/lifecycle.js');
  const store = new ContainerStore(ctx.layout);
  const stopped: string[] = [];
  const migrated: string[] = [];
  for (const c of await listContainers(ctx)) {
    if (isRunningOrPaused(c.state.status)) {
      await stopContainer(ctx, c.record.id);
      stopped.push(c.record.id);
    }
    if (!runtime) continue;
    const chosen = runtime;
    await store.withContainerLock(c.record.id, async () => {
      const record = await store.readConfig<ContainerRecord>(c.record.id);
      if (!record) return;
      await store.writeConfig(c.record.id, { ...record, runtime: { ...chosen, ...(record.runtime.flags ? { flags: record.runtime.flags } : {}) }, ociRuntime: options.newRuntime });
      const monitorFile = ctx.layout.containerMonitorConfig(c.record.id);
      const monitor = await readJsonIfExists<{ runtime: RuntimeRef }>(monitorFile);
      if (monitor) await writeJsonAtomic(monitorFile, { ...monitor, runtime: { ...chosen, ...(monitor.runtime.flags ? { flags: monitor.runtime.flags } : {}) } }, 0o600);
    });
    migrated.push(c.record.id);
  }
  let pauseEnded = false;
  const { USERNS_ENV } = await import('../../userns/pause.js');
  if (process.env[USERNS_ENV]) {
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    try {
      const { pid } = JSON.parse(await readFile(join(ctx.global.runroot, 'pause.pid'), 'utf8')) as { pid: number };
      // The pause process we entered: ours for sure.
      if (String(pid) === process.env[USERNS_ENV]) {
        process.kill(pid, 'SIGKILL');
        pauseEnded = true;
      }
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ESRCH') && !(err instanceof SyntaxError)) throw err;
    }
  }
  return { stopped, migrated, pauseEnded };
}
