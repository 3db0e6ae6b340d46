import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { processAlive, processStartTime } from '../util/fs.js';
import type { StoreLayout } from './layout.js';

/**
 * Temp data of the store: files and directories that become part of the
 * store only when complete (a blob being verified, a layer being extracted,
 * an archive being unpacked). They live in graphroot/tmp or, for layers
 * (renamed in place on the same file system), in layers/.tmp-*, and their
 * names carry their owner: `KIND-PID-STARTTIME-RANDOM`. A pid with its start
 * time names one process even after pid reuse, so temp data whose owner is
 * gone (a command killed with -9) is recognised and removed, and that of a
 * running command never is.
 */

/** Unowned entries (left by an older skiff) are removed once this old. */
const UNOWNED_MAX_AGE_MS = 60 * 60 * 1000;

const OWNER = /-(\d+)-(\d+)-[0-9a-f]+$/;

/** The names temp data had before it named its owner; any other unowned name is not ours to remove. */
const UNOWNED = /^(?:blob-[0-9a-f]{16}|import-[0-9a-f]{16}|load-[A-Za-z0-9]{6}|\.tmp-[0-9a-f]{16})$/;

let ownStartTime: number | undefined;
let tempCounter = 0;

/** A new temp name owned by this process: `${kind}-PID-STARTTIME-RANDOM`. */
export function tempName(kind: string): string {
  ownStartTime ??= processStartTime(process.pid) ?? 0;
  // A counter makes it unique within this process (pid and start time do across them); the random part
  // is hex for OWNER's sake. Not node:crypto: commands that only read the store would load it for this.
  const random = Math.floor(Math.random() * 0x1000000).toString(16).padStart(6, '0');
  return `${kind}-${process.pid}-${ownStartTime}-${(tempCounter++).toString(16)}${random}`;
}

/** The layer staging directory name prefix in layers/. */
export const LAYER_STAGING_KIND = '.tmp';

export interface TempCleanupReport {
  /** Paths removed. */
  removed: string[];
  /** Bytes they held. */
  bytes: number;
}

/**
 * Removes temp data whose owning process is gone (or, for the names an
 * older skiff gave without an owner, that is older than an hour). Entries
 * named otherwise are left alone. Takes no lock: an owner that is
 * alive keeps its entries, and an entry appears only under a live owner's
 * name. Needs to run as root of the user namespace when rootless, because
 * a half-extracted layer holds files of sub-ids.
 */
export async function removeOrphanedTemp(layout: StoreLayout): Promise<TempCleanupReport> {
  const candidates = [
    ...(await names(layout.tmpDir)).map((n) => join(layout.tmpDir, n)),
    ...(await names(layout.layersDir)).filter((n) => n.startsWith(`${LAYER_STAGING_KIND}-`)).map((n) => join(layout.layersDir, n)),
  ];
  const report: TempCleanupReport = { removed: [], bytes: 0 };
  for (const path of candidates) {
    if (!(await orphaned(path))) continue;
    const bytes = await diskUsage(path);
    await fsp.rm(path, { recursive: true, force: true });
    report.removed.push(path);
    report.bytes += bytes;
  }
  return report;
}

async function names(dir: string): Promise<string[]> {
  return fsp.readdir(dir).catch(() => []);
}

async function orphaned(path: string): Promise<boolean> {
  const owner = OWNER.exec(path);
  if (owner) return !processAlive(Number(owner[1]), Number(owner[2]));
  if (!UNOWNED.test(basename(path))) return false;
  const stat = await fsp.lstat(path).catch(() => undefined);
  return stat !== undefined && Date.now() - stat.mtimeMs > UNOWNED_MAX_AGE_MS;
}

/** Bytes of the regular files under `path`, links not followed. */
async function diskUsage(path: string): Promise<number> {
  const stat = await fsp.lstat(path).catch(() => undefined);
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.isFile() ? stat.size : 0;
  let total = 0;
  for (const name of await names(path)) total += await diskUsage(join(path, name));
  return total;
}
