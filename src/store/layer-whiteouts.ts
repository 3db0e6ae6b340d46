import type { Stats } from 'node:fs';

/**
 * How a stored layer records OCI whiteouts: in overlayfs's own form, so an
 * overlay mount reads the layer directories as they are and the vfs driver
 * (drivers/vfs.ts) applies the same marks. A deleted path is a 0/0
 * character device; a directory that hides what lower layers put in it
 * carries an opaque xattr, user.* inside a user namespace (overlay's
 * `userxattr` mount option) and trusted.* as real root.
 */
export const OPAQUE_XATTR = { user: 'user.overlay.opaque', trusted: 'trusted.overlay.opaque' } as const;

/**
 * The getfattr -m pattern matching an opaque xattr: either of overlay's, or
 * the one fuse-overlayfs sets in a container's upper dir when it may not
 * set trusted.* (in a user namespace).
 */
export const OPAQUE_XATTR_PATTERN = '^((user|trusted)\\.overlay|user\\.fuseoverlayfs)\\.opaque$';

/** True when `st` (from lstat) is a whiteout: a 0/0 character device. */
export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}
