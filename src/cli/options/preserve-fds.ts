import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { InvalidArgumentError } from '../../util/errors.js';
import type { OptionSpec } from '../command.js';

/** run --preserve-fds, as podman's. */
export const PRESERVE_FDS_OPTION: OptionSpec = {
  type: 'number',
  default: 0,
  describe: 'Pass a number of additional file descriptors into the container (fds 3 to 3+N-1 of the caller)',
};

/**
 * --preserve-fds N: checks that N is a count and that fds 3..3+N-1 were
 * passed to this process; returns N. podman's message otherwise.
 */
export function checkPreservedFds(value: unknown): number {
  const count = Number(value ?? 0);
  if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError(`invalid argument "${String(value)}" for "--preserve-fds" flag: a count of file descriptors`);
  if (count === 0) return 0;
  const firstOwn = firstNodeFd();
  for (let fd = 3; fd < 3 + count; fd++) {
    if (fd >= firstOwn || !existsSync(`/proc/self/fd/${fd}`)) {
      throw new InvalidArgumentError(`file descriptor ${fd} is not available - the preserve-fds option requires that all file descriptors must be passed`);
    }
  }
  return count;
}

/**
 * The first fd Node opened for itself: its event loop's epoll, made before
 * anything else at start-up, takes the lowest free number, so every fd
 * below it came from the caller. (Node marks inherited fds close-on-exec
 * as well, so their flags cannot tell them apart.)
 */
function firstNodeFd(): number {
  const fds = readdirSync('/proc/self/fd').map(Number).sort((a, b) => a - b);
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:[eventpoll]') return fd;
    } catch {
      // closed meanwhile (the fd of readdir itself)
    }
  }
  return Infinity;
}
