import { SkiffError } from './errors.js';

/** The errnos that mean the file system is full for us, and how to say it. */
const NO_SPACE: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
};

/** A write failed because the disk (or the user's quota) is full. */
export class NoSpaceError extends SkiffError {
  constructor(what: string, errno: string, cause: unknown) {
    super('ENOSPC', `${what}: ${NO_SPACE[errno]}`, {
      hint: 'free some space (`skiff system prune` removes unused images and leftover temp data) and try again',
      cause,
    });
  }
}

/**
 * The errno (ENOSPC or EDQUOT) when `err` or an error in its `cause` chain
 * is a full-disk error, else undefined. Errors are often wrapped on the way
 * up (a failed write inside an extractor becomes "layer is corrupt").
 */
export function noSpaceErrno(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code in NO_SPACE && !(e instanceof NoSpaceError)) return code;
    if (e instanceof NoSpaceError) return undefined;
  }
  return undefined;
}

/**
 * Runs `fn`; a full-disk error anywhere in what it throws becomes one
 * NoSpaceError saying `what` failed, instead of whatever wrapped it.
 */
export async function reportingNoSpace<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const errno = noSpaceErrno(err);
    if (errno) throw new NoSpaceError(what, errno, err);
    throw err;
  }
}
