import { promises as fsp, readFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { isErrno } from './errors.js';

let uniqueCounter = 0;

/**
 * A suffix for a temp file name that no other live process uses: our pid
 * and a counter, plus a random part against a leftover of a dead process
 * with the same pid. Not node:crypto: loading it costs every container's
 * monitor about 0.5 MiB of private memory.
 */
export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}-${(uniqueCounter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Writes JSON to `path` atomically: a temp file in the same directory, fsync'd
 * on request, then renamed over the target, so readers see the old or the new
 * document and never a torn one.
 */
export async function writeJsonAtomic(path: string, data: unknown, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${uniqueSuffix()}.tmp`);
  try {
    await fsp.writeFile(tmp, JSON.stringify(data, null, 2) + '\n', { mode });
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** Reads and parses a JSON file; returns undefined when it does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fsp.readFile(path, 'utf8')) as T;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await fsp.lstat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/**
 * The start time of a process in clock ticks since boot (field 22 of
 * /proc/PID/stat), or undefined when the process is gone. A pid plus its start
 * time names a process unambiguously even after pid reuse.
 */
export function processStartTime(pid: number): number | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parens: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return undefined; // a zombie has already exited
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

/** True when the process `pid` exists and (if given) started at `startTime`. */
export function processAlive(pid: number | undefined, startTime?: number): boolean {
  if (pid === undefined) return false;
  const actual = processStartTime(pid);
  if (actual === undefined) return false;
  return startTime === undefined || actual === startTime;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
