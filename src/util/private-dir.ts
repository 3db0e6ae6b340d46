import { chmodSync, lstatSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { SkiffError, isErrno } from './errors.js';

/**
 * A directory skiff must not use: another user owns it, or others can write
 * to it, so what it holds (a cached runtime path, a pause pid) may be planted.
 */
export class UnsafeDirectoryError extends SkiffError {
  constructor(message: string) {
    super('EUNSAFEDIR', message, { hint: 'remove it, or point skiff elsewhere with --root/--runroot (or XDG_RUNTIME_DIR, XDG_DATA_HOME)' });
  }
}

const checked = new Set<string>();

/**
 * Makes `path` a directory only the current user can use, as containers/storage
 * does for its roots: creates it (and missing parents) 0700 when missing, takes
 * group and other permissions off one the user owns (a store made 0755 by an
 * older skiff), and refuses one that another user owns or that another user
 * could have written to. `what` names it in the error ("run root").
 * `ownGroupMayWrite`: a directory writable by the user's own primary group is
 * made private instead of refused (an older skiff made the graph root with the
 * umask's mode, 0775 under a user-private-group umask of 002).
 *
 * Costs one lstat when all is well, and none for a path already checked by
 * this process. Compares owners in the caller's user namespace, so it gives
 * the same answer on the host and as root of skiff's user namespace.
 * Throws UnsafeDirectoryError.
 */
export function ensurePrivateDir(path: string, what: string, options: { ownGroupMayWrite?: boolean } = {}): void {
  if (checked.has(path)) return;
  let st = lstatIfExists(path);
  if (!st) {
    try {
      mkdirSync(path, { recursive: true, mode: 0o700 });
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (err as Error).message;
      throw new SkiffError('EMKDIR', `cannot create ${what} "${path}": ${why}`, { hint: 'choose a directory you can write to with --root/--runroot' });
    }
    // Checked again: another user may have made it between our lstat and mkdir.
    st = lstatSync(path);
  }
  if (st.isSymbolicLink()) {
    // The link itself must be ours (or root's): in a sticky /tmp its owner can repoint it later.
    checkOwner(st, path, what, `${what} "${path}" is a symbolic link not owned by the current user`);
    st = statSync(path);
  }
  if (!st.isDirectory()) throw new UnsafeDirectoryError(`${what} "${path}" is not a directory`);
  checkOwner(st, path, what);
  const mode = st.mode & 0o7777;
  const groupIsOurs = options.ownGroupMayWrite === true && st.gid === process.getegid?.();
  if ((mode & 0o002) !== 0 || ((mode & 0o020) !== 0 && !groupIsOurs)) {
    throw new UnsafeDirectoryError(`${what} "${path}" is writable by other users (mode ${mode.toString(8).padStart(4, '0')})`);
  }
  if ((mode & 0o077) !== 0) chmodSync(path, 0o700);
  checked.add(path);
}

/** The owner check alone, for tests and callers that must not create or change anything. */
export function ownedByCurrentUser(st: Pick<Stats, 'uid'>): boolean {
  return st.uid === process.geteuid?.();
}

function checkOwner(st: Stats, path: string, what: string, message = `${what} "${path}" is not owned by the current user`): void {
  if (ownedByCurrentUser(st)) return;
  if (st.isSymbolicLink() && st.uid === 0) return;
  throw new UnsafeDirectoryError(message);
}

function lstatIfExists(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}
