import { closeSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError, isErrno } from '../../util/errors.js';

export type DriverName = 'overlay' | 'vfs';

/** The file in the graph root naming the driver the store was made with (podman keeps it in its database). */
export function storeDriverFile(graphRoot: string): string {
  return join(graphRoot, 'storage-driver.json');
}

/** The driver recorded in the graph root, or undefined for a store that has none yet. */
export function readStoreDriver(graphRoot: string): DriverName | undefined {
  let text: string;
  try {
    text = readFileSync(storeDriverFile(graphRoot), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  const driver = (JSON.parse(text) as { driver?: unknown }).driver;
  if (driver !== 'overlay' && driver !== 'vfs') throw new SkiffError('ECORRUPT', `${storeDriverFile(graphRoot)} names no storage driver skiff knows: ${JSON.stringify(driver)}`);
  return driver;
}

/** A store made with one driver refuses another, with podman's message (its database check). */
export class StorageDriverMismatchError extends SkiffError {
  constructor(recorded: string, asked: string) {
    super('EDRIVERMISMATCH', `database storage graph driver "${recorded}" does not match our storage graph driver "${asked}": database configuration mismatch`, {
      hint: `this store was made with ${recorded}: use --storage-driver ${recorded} (or another --root)`,
    });
  }
}

/** Throws StorageDriverMismatchError when the store records a driver other than `asked`. Reads only. */
export function assertStoreDriver(graphRoot: string, asked: DriverName): void {
  const recorded = readStoreDriver(graphRoot);
  if (recorded !== undefined && recorded !== asked) throw new StorageDriverMismatchError(recorded, asked);
}

/**
 * Records `driver` as the store's, unless one is recorded already; returns
 * the store's driver either way. The first writer wins (the file appears
 * whole, by link(2) of a finished temp file), so racing first uses agree.
 */
export function recordStoreDriver(graphRoot: string, driver: DriverName): DriverName {
  const file = storeDriverFile(graphRoot);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, `${JSON.stringify({ driver })}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
    return driver;
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
    return readStoreDriver(graphRoot)!;
  } finally {
    rmSync(tmp, { force: true });
  }
}
