import { promises as fsp } from 'node:fs';
import { SkiffError } from './errors.js';

/** util-linux flock's exit status when -w runs out (set with -E). */
const TIMED_OUT = 75;

export class LockTimeoutError extends SkiffError {
  constructor(path: string, timeoutMs: number) {
    super('ELOCKTIMEOUT', `timed out after ${timeoutMs / 1000} s waiting for the lock ${path}`, {
      hint: 'another skiff process holds it; try again when it has finished',
    });
  }
}

/**
 * Runs `fn` holding an exclusive flock(2) on `path` (created if missing,
 * never removed: the lock is the file's inode, and removing it would let a
 * second locker lock a new file). The kernel drops the lock when its
 * holder dies, at whatever moment, so a crash never leaves a lock behind.
 * Works across the host and the user namespace, which see the same file.
 *
 * Not re-entrant: taking the same lock again inside `fn` waits for itself
 * until the timeout. Throws LockTimeoutError after `timeoutMs`.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const handle = await fsp.open(path, 'a');
  try {
    await flockExclusive(handle.fd, path, timeoutMs);
    return await fn();
  } finally {
    // Closing the last descriptor of the open file releases the lock.
    await handle.close();
  }
}

/**
 * Node has no flock(2). A flock lock belongs to the open file description,
 * which a child shares through an inherited descriptor: util-linux `flock`
 * locks our fd as its fd 3 and exits, and the lock stays with our fd. One
 * spawn costs less than loading an FFI library into every command.
 */
function flockExclusive(fd: number, path: string, timeoutMs: number): Promise<void> {
  const seconds = String(Math.max(timeoutMs, 1) / 1000);
  return new Promise((resolve, reject) => {
    // Loaded on first use: a command that takes no lock starts without child_process.
    const { spawn } = process.getBuiltinModule('node:child_process');
    const child = spawn('flock', ['-x', '-w', seconds, '-E', String(TIMED_OUT), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', (err) => reject(new SkiffError('ELOCK', `cannot lock ${path}: ${err.message}`, { cause: err })));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else if (code === TIMED_OUT) reject(new LockTimeoutError(path, timeoutMs));
      else reject(new SkiffError('ELOCK', `cannot lock ${path}: flock exited with ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}
