import { promises as fsp, readFileSync } from 'node:fs';
import { isErrno } from './errors.js';
import { processAlive, sleep } from './fs.js';

/**
 * An inter-process lock held as an exclusively created file that names its
 * holder's pid. A lock whose holder is dead is stale and broken. Node has no
 * flock(2), and this works across the host and the user namespace alike.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  await acquire(path, timeoutMs);
  try {
    return await fn();
  } finally {
    await fsp.rm(path, { force: true });
  }
}

async function acquire(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    try {
      const handle = await fsp.open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    if (holderIsDead(path)) {
      // Rename first so two waiters cannot both break the same stale lock.
      const grave = `${path}.stale.${process.pid}`;
      try {
        await fsp.rename(path, grave);
        await fsp.rm(grave, { force: true });
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path}`);
    await sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
}

function holderIsDead(path: string): boolean {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch {
    return false;
  }
  // An empty file is a holder between open and write: give it time.
  if (content === '') return false;
  return !processAlive(Number(content));
}
