import { Socket } from 'node:net';

/**
 * Tells a re-executed CLI which of its fds is the lifeline from the CLI that
 * started it. The parent keeps its end open and never writes; the kernel
 * closes it when the parent dies in any way (SIGKILL included), and the
 * child reads end-of-file. Linux's PR_SET_PDEATHSIG would do this, but
 * Node cannot call prctl, and nsenter stands between the two anyway.
 */
export const PARENT_FD_ENV = 'SKIFF_PARENT_FD';

/** The fd the lifeline gets in the child: the first after stdio. */
export const PARENT_FD = 3;

/**
 * In a re-executed CLI: stops this process (SIGTERM, so the default action
 * ends it wherever it is) when the parent's end of the lifeline closes. A
 * killed command must stop its work, not finish it unseen. Reads and clears
 * PARENT_FD_ENV so processes this one starts do not watch an fd that is not
 * theirs. Does nothing when the variable is not set.
 */
export function exitWithParent(): void {
  const fd = Number(process.env[PARENT_FD_ENV]);
  delete process.env[PARENT_FD_ENV];
  if (!Number.isInteger(fd) || fd < 3) return;
  let lifeline: Socket;
  try {
    lifeline = new Socket({ fd, readable: true, writable: false });
  } catch {
    return;
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.kill(process.pid, 'SIGTERM');
    // A command may handle SIGTERM itself (a prompt): it still must go.
    setTimeout(() => process.exit(143), 3000);
  };
  lifeline.on('error', stop);
  lifeline.on('end', stop);
  lifeline.resume();
  // The lifeline alone must not keep a finished command alive.
  lifeline.unref();
}
