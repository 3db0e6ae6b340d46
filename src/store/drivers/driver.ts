/**
 * The storage drivers behind one interface: how a container's root
 * filesystem is made from its image's layers, and undone. `overlay` mounts
 * the kernel's overlayfs, or runs a mount program (fuse-overlayfs) when the
 * container's storage names one; `vfs` copies the layers. Every place that
 * mounts a container's layers (the monitor, cp, export, commit, the repair
 * after a killed monitor) goes through here.
 */

import type { IdMappings } from '../../userns/id-map.js';

/** How a container's root filesystem is stored, as create records it (monitor.json's `storage`). */
export type ContainerStorage = (
  | {
    driver: 'overlay';
    lowerDirs: string[];
    upperDir: string;
    workDir: string;
    mergedDir: string;
    /** overlay.mount_program: mounted by this program (fuse-overlayfs) instead of the kernel's overlay. */
    mountProgram?: string;
    /** overlay.mountopt: extra mount options, comma-separated. */
    mountOpt?: string;
  }
  | { driver: 'vfs'; lowerDirs: string[]; rootfsDir: string }
) & {
  /** The mode of the container's / when its root filesystem is first made (the image's, e.g. 0555); absent in older configs: as made. */
  rootMode?: number;
  /** A container in a user namespace of its own: `lowerDirs` are copies of its layers owned through this map (store/id-shift.ts). */
  idMappings?: IdMappings;
};

/** A directory showing a root filesystem, and how to let it go. */
export interface RootfsView {
  path: string;
  /** Unmounts or removes what was made for the view; idempotent. */
  release(): Promise<void>;
}

/**
 * One storage driver. Every method runs as (namespaced) root in the pause
 * mount namespace, where the mounts live.
 */
export interface RootfsDriver {
  /** A name for messages and `info`: overlay, fuse-overlayfs or vfs. */
  readonly name: string;
  /**
   * Makes the container's read-write root filesystem at its usual place
   * and returns its path: mounts the overlay (first unmounting one left by
   * a holder killed with -9, so two never stack on one upper dir), or
   * completes the vfs copy. The caller holds the container (its monitor, or
   * a command under the container's lock).
   */
  mount(storage: ContainerStorage): Promise<string>;
  /** Undoes `mount`, also for a holder that was killed; idempotent. */
  unmount(storage: ContainerStorage): Promise<void>;
  /** True when the root filesystem is mounted (overlay) or complete (vfs) now. */
  isMounted(storage: ContainerStorage): boolean;
  /**
   * A read-only view of the container's root filesystem without touching
   * its usual place (so a start may mount it meanwhile): the mounted one
   * when it is up, else its layers mounted read-only (or copied, vfs) at a
   * new directory under `scratchDir`.
   */
  readOnlyView(storage: ContainerStorage, scratchDir: string): Promise<RootfsView>;
}

/** Where the container's root filesystem is (once mounted or made): the overlay's merged dir, or the vfs copy. */
export function rootfsPath(storage: ContainerStorage): string {
  return storage.driver === 'overlay' ? storage.mergedDir : storage.rootfsDir;
}

/** The driver that made (or makes) `storage`; loaded on demand, so the hot path pays only for the one it uses. */
export async function rootfsDriver(storage: ContainerStorage): Promise<RootfsDriver> {
  if (storage.driver === 'vfs') return (await import('./vfs.js')).vfsDriver;
  if (storage.mountProgram) return (await import('./fuse-overlayfs.js')).fuseOverlayDriver;
  return (await import('./overlay.js')).overlayDriver;
}
