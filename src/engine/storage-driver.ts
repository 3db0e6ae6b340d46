/**
 * Which storage driver a store uses, and why: the one asked for
 * (--storage-driver, else storage.conf), else the one the store was made
 * with, else overlay where the kernel allows it in our user namespace for
 * the graph root's filesystem, else overlay through fuse-overlayfs when it
 * is installed (as containers/storage falls back), else vfs. overlay with
 * overlay.mount_program set always uses that program.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { findFuseOverlayfs } from '../store/drivers/fuse-overlayfs.js';
import { StorageDriverMismatchError, readStoreDriver, recordStoreDriver, type DriverName } from '../store/drivers/store-driver.js';
import { SkiffError } from '../util/errors.js';
import { readJsonIfExists, writeJsonAtomic } from '../util/fs.js';
import { withLock } from '../util/lock.js';
import { log } from '../util/log.js';
import type { ChownMode } from '../image/layer/extract.js';
import type { EngineContext } from './context.js';

export interface StorageChoice {
  driver: DriverName;
  /** overlay only: the program that mounts it (fuse-overlayfs); undefined for the kernel's overlay. */
  mountProgram?: string;
  /** overlay only: overlay.mountopt. */
  mountOpt?: string;
  /** Why this driver (and mount program): shown by `info` as store.graphDriverReason and logged at debug level. */
  reason: string;
  /** The native overlay probe's result, when it ran: whether the kernel mounts overlay in our namespace for the graph root, and its error. */
  probe?: OverlayProbe;
}

/** Cached in the run root per graph root: the kernel's answer does not change while the machine runs. */
export interface OverlayProbe {
  graphRoot: string;
  native: boolean;
  reason?: string;
}

/**
 * Decides the driver (see the module's comment), records it in a store
 * that has none yet, and throws StorageDriverMismatchError when the store
 * was made with another. May start the pause process (the probe mounts in
 * the user namespace).
 */
export async function chooseStorage(ctx: EngineContext): Promise<StorageChoice> {
  const graphRoot = ctx.global.root;
  const settings = ctx.global.storage;
  const asked = ctx.global.storageDriver;
  let driver: DriverName;
  let reason: string;
  let probe: OverlayProbe | undefined;
  const recorded = readStoreDriver(graphRoot);
  if (asked && recorded && asked !== recorded) throw new StorageDriverMismatchError(recorded, asked);
  if (asked) {
    driver = asked;
    reason = settings?.driverSource === 'storage.conf' ? `the driver set in ${settings.configFile}` : 'the --storage-driver flag';
  } else if (recorded) {
    driver = recorded;
    reason = 'the driver this store was made with';
  } else {
    probe = await overlayProbe(ctx);
    const fuse = probe.native ? undefined : settings?.mountProgram ?? findFuseOverlayfs();
    driver = probe.native || fuse ? 'overlay' : 'vfs';
    reason = 'no driver is set and the store is new';
    if (probe.native) reason += '; overlay works in the user namespace';
    else if (!fuse) reason += `; overlay is refused in the user namespace (${probe.reason ?? 'mount failed'}) and fuse-overlayfs is not installed`;
  }
  if (!recorded) {
    // Racing first uses: the first to record wins; a loser that asked for another driver is refused as any later call
    // would be, one that only probed takes the winner's.
    const stored = recordStoreDriver(graphRoot, driver);
    if (stored !== driver && asked) throw new StorageDriverMismatchError(stored, asked);
    if (stored !== driver) {
      driver = stored;
      reason = 'the driver this store was made with';
    }
  }
  if (driver === 'vfs') return done({ driver, reason, probe });
  const mountOpt = settings?.mountOpt;
  if (settings?.mountProgram) {
    return done({ driver, mountProgram: settings.mountProgram, mountOpt, reason: `${reason}; mounted by overlay.mount_program`, probe });
  }
  probe ??= await overlayProbe(ctx);
  if (probe.native) return done({ driver, mountOpt, reason, probe });
  const fuse = findFuseOverlayfs();
  if (!fuse) {
    throw new SkiffError('EDRIVER', `overlay is not supported over ${graphRoot} in the user namespace: ${probe.reason ?? 'mount failed'}`, {
      hint: 'install fuse-overlayfs, or use another --root or --storage-driver vfs',
    });
  }
  return done({ driver, mountProgram: fuse, mountOpt, reason: `${reason}; native overlay is refused in the user namespace (${probe.reason ?? 'mount failed'}), so fuse-overlayfs mounts it`, probe });
}

function done(choice: StorageChoice): StorageChoice {
  log.debug(`Using storage driver ${choice.driver}${choice.mountProgram ? ` with ${choice.mountProgram}` : ''}: ${choice.reason}`);
  return choice;
}

/** Whether the kernel's overlay mounts in our user namespace with its directories on the graph root's filesystem; cached in the run root. */
async function overlayProbe(ctx: EngineContext): Promise<OverlayProbe> {
  const graphRoot = ctx.global.root;
  const cached = async () => {
    const c = await readJsonIfExists<OverlayProbe>(ctx.layout.storageProbeFile);
    return c?.graphRoot === graphRoot && typeof c.native === 'boolean' ? c : undefined;
  };
  const hit = await cached();
  if (hit) return hit;
  await fsp.mkdir(ctx.global.runroot, { recursive: true, mode: 0o700 });
  // Racing first runs probe once: the others wait and read the cache.
  return withLock(join(ctx.global.runroot, 'storage-driver.lock'), async () => {
    const again = await cached();
    if (again) return again;
    const dir = join(ctx.layout.tmpDir, `overlay-probe-${process.pid}`);
    await fsp.rm(dir, { recursive: true, force: true });
    for (const sub of ['l', 'u', 'w', 'm']) await fsp.mkdir(join(dir, sub), { recursive: true });
    const result = await ctx.execInNamespace(['sh', '-c', 'mount -t overlay overlay -o lowerdir="$1/l",upperdir="$1/u",workdir="$1/w" "$1/m" && umount "$1/m"', 'probe', dir]);
    await ctx.execInNamespace(['rm', '-rf', dir]);
    const probe: OverlayProbe = { graphRoot, native: result.exitCode === 0, ...(result.exitCode === 0 ? {} : { reason: result.stderr.trim().split('\n')[0] || `mount exited ${result.exitCode}` }) };
    // `driver` too, for readers of the older form of this file.
    await writeJsonAtomic(ctx.layout.storageProbeFile, { ...probe, driver: probe.native ? 'overlay' : 'vfs' });
    return probe;
  });
}

/**
 * How layers being stored take their tar owners: as (namespaced) root
 * they are chowned, and with the driver's ignore_chown_errors (storage.conf
 * or --storage-opt) an owner the user namespace does not map is ignored, as
 * containers/storage ignores it. The driver is the one asked for, else the
 * store's, else overlay (podman's default); nothing is probed.
 */
export function layerChown(ctx: EngineContext): ChownMode {
  if (process.getuid?.() !== 0) return false;
  const settings = ctx.global.storage;
  const driver = ctx.global.storageDriver ?? readStoreDriver(ctx.global.root) ?? 'overlay';
  const ignore = driver === 'vfs' ? settings?.vfsIgnoreChownErrors : settings?.overlayIgnoreChownErrors;
  return ignore ? 'ignore-errors' : true;
}
