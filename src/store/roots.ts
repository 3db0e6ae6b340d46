import { ensurePrivateDir } from '../util/private-dir.js';
import type { StoreLayout } from './layout.js';

/**
 * Makes the graph root and the run root private to the user before a command
 * uses them, as podman's store is: created 0700, an older 0755 graph root made
 * 0700, and a run root or graph root that another user owns or could write to
 * refused with UnsafeDirectoryError (its cached runtime path and pause pid
 * could be planted). One lstat per root per process when all is well.
 */
export function prepareStoreRoots(layout: StoreLayout): void {
  ensurePrivateDir(layout.runRoot, 'run root');
  ensurePrivateDir(layout.graphRoot, 'graph root', { ownGroupMayWrite: true });
}
