import { existsSync, readFileSync } from 'node:fs';
import { freezeContainer } from '../../runtime/driver.js';
import type { ContainerState, PauseRecord } from '../../store/containers.js';
import { isErrno } from '../../util/errors.js';
import { sleep } from '../../util/fs.js';
import type { EngineContext } from '../context.js';
import { ContainerStateError } from '../errors.js';
import type { ContainerRecord } from './record.js';
import { containerPids } from './top.js';

/**
 * Suspending and resuming every process of a container, the machinery
 * behind `pause`/`unpause` and behind `stop` of a paused container. The
 * callers hold the container's lock and run in the user namespace.
 */

/**
 * Why a container cannot be frozen and is paused with SIGSTOP instead, or
 * undefined when the runtime's freezer works for it. Rootless containers
 * get no cgroupsPath (spec generation leaves it out), so the runtime has no
 * cgroup of theirs to freeze; podman refuses to pause them on cgroup v1.
 */
export function signalPauseReason(record: ContainerRecord): string | undefined {
  if (!record.spec.rootless) return undefined;
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return 'cgroup v2: the rootless container has no cgroup of its own to freeze; pausing with SIGSTOP';
  return 'cgroup v1: no freezer for rootless containers; pausing with SIGSTOP';
}

/**
 * Suspends every process of the running container whose init is
 * `state.pid`: with the runtime's freezer, or when `signalPauseReason`
 * says it cannot be used, with SIGSTOP (see `stopEveryProcess`). Returns
 * what `thaw` needs to undo it. On failure nothing stays suspended.
 */
export async function freeze(ctx: EngineContext, record: ContainerRecord, state: ContainerState): Promise<PauseRecord> {
  if (!signalPauseReason(record)) {
    await freezeContainer(record.runtime, ctx.layout.runtimeRoot, record.id, 'pause');
    return { method: 'freezer' };
  }
  return { method: 'signal', stopped: await stopEveryProcess(record.id, state.pid ?? 0) };
}

/**
 * Resumes what `freeze` suspended. With SIGSTOP, only the processes it
 * stopped that still exist (same pid and start time) get SIGCONT.
 */
export async function thaw(ctx: EngineContext, record: ContainerRecord, pause: PauseRecord | undefined): Promise<void> {
  if (pause?.method === 'freezer') {
    await freezeContainer(record.runtime, ctx.layout.runtimeRoot, record.id, 'resume');
    return;
  }
  continueProcesses(pause?.stopped ?? []);
}

/** States of a process that will not run again by itself: stopped, traced, zombie, dead. */
const SETTLED = new Set(['T', 't', 'Z', 'X', 'x']);
/** How long the processes may take to stop, forks included, before the pause is given up. */
const SETTLE_MS = 5000;

/**
 * Sends SIGSTOP to every process in the container's pid namespace (those
 * `top` lists), again and again until a sweep finds none running: a
 * process forked while a sweep ran is caught by the next one. Processes
 * already stopped (by the container itself) are left alone and not
 * listed. If the processes do not all stop within SETTLE_MS, the ones
 * stopped so far are continued and a ContainerStateError is thrown.
 */
async function stopEveryProcess(id: string, initPid: number): Promise<Array<{ pid: number; startTime: number }>> {
  const stopped = new Map<number, number>();
  const deadline = Date.now() + SETTLE_MS;
  let delay = 1;
  let running: number[] = [];
  for (;;) {
    running = [];
    for (const pid of containerPids(initPid)) {
      const proc = procState(pid);
      if (!proc || SETTLED.has(proc.state)) continue;
      running.push(pid);
      if (signal(pid, 'SIGSTOP')) stopped.set(pid, proc.startTime);
    }
    if (running.length === 0) return [...stopped].map(([pid, startTime]) => ({ pid, startTime }));
    if (Date.now() > deadline) break;
    // SIGSTOP takes effect when the process next runs: give it that moment.
    await sleep(delay);
    delay = Math.min(delay * 2, 20);
  }
  continueProcesses([...stopped].map(([pid, startTime]) => ({ pid, startTime })));
  throw new ContainerStateError(
    `cannot pause container ${id}: ${running.length} of its processes kept running after ${SETTLE_MS / 1000}s of SIGSTOP; nothing was paused`,
    'a process stuck in uninterruptible sleep (state D) cannot stop until its I/O completes; try again',
  );
}

function continueProcesses(processes: Array<{ pid: number; startTime: number }>): void {
  for (const { pid, startTime } of processes) {
    // A pid reused by another process since is not ours to continue.
    if (procState(pid)?.startTime === startTime) signal(pid, 'SIGCONT');
  }
}

/** Sends a signal; false when the process is gone. */
function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch (err) {
    if (isErrno(err, 'ESRCH')) return false;
    throw err;
  }
}

/** A process's state letter and start time from /proc/PID/stat; undefined when it is gone. */
function procState(pid: number): { state: string; startTime: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], startTime: Number(fields[19]) };
  } catch {
    return undefined;
  }
}
