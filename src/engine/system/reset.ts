import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../../util/errors.js';
import { exec } from '../../util/exec.js';
import type { EngineContext } from '../context.js';
import { listContainers } from '../container/record.js';

export interface SystemResetReport {
  /** Containers removed (running ones stopped first). */
  containers: string[];
  /** Whether the pause process of the namespace was ended. */
  pauseEnded: boolean;
}

/** Mount points at or below one of `dirs` in this mount namespace, deepest first. */
function mountsBelow(dirs: string[]): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((line) => unescape(line.split(' ')[4] ?? ''));
  return points.filter((p) => dirs.some((d) => p === d || p.startsWith(d + '/'))).sort((a, b) => b.length - a.length);
}

/**
 * `system reset`: stops and removes every container, then removes the
 * whole graph root (images, layers, volumes, networks) and run root, and
 * ends the pause process so the next command starts from nothing, as
 * podman's reset does. Whatever is still mounted below the roots (volume
 * tmpfs, a `skiff mount`) is unmounted first. Run as root of the user
 * namespace (a namespaced command): the files belong to sub-ids.
 */
export async function systemReset(ctx: EngineContext, options: { timeout?: number } = {}): Promise<SystemResetReport> {
  const { removeContainer } = await import('../container/lifecycle.js');
  const containers: string[] = [];
  for (const c of await listContainers(ctx)) {
    await removeContainer(ctx, c.record.id, { force: true, timeout: options.timeout });
    containers.push(c.record.id);
  }
  const { root, runroot } = ctx.global;
  // The rootless network namespace goes with its last container; a user network's files go with the graph root.
  for (const point of mountsBelow([root, runroot])) await exec('umount', ['-l', point]);
  let pausePid: number | undefined;
  try {
    pausePid = (JSON.parse(await fsp.readFile(join(runroot, 'pause.pid'), 'utf8')) as { pid: number }).pid;
  } catch (err) {
    if (!isErrno(err, 'ENOENT') && !(err instanceof SyntaxError)) throw err;
  }
  await fsp.rm(root, { recursive: true, force: true });
  await fsp.rm(runroot, { recursive: true, force: true });
  let pauseEnded = false;
  const { isOurPauseProcess, USERNS_ENV } = await import('../../userns/pause.js');
  // Inside the namespace we know our pause process by the pid we entered; outside, by what it is.
  const ours = pausePid !== undefined && (process.env[USERNS_ENV] === String(pausePid) || (ctx.needsNsenter && isOurPauseProcess(pausePid)));
  if (ours) {
    try {
      process.kill(pausePid!, 'SIGKILL');
      pauseEnded = true;
    } catch (err) {
      if (!isErrno(err, 'ESRCH')) throw err;
    }
  }
  return { containers, pauseEnded };
}
