import { promises as fsp } from 'node:fs';
import { isErrno } from '../../util/errors.js';

/**
 * Kills the pause process `pid` and returns once it is gone (or a zombie
 * waiting for its reaper): a command started right after must not find it
 * still alive and enter a namespace that is going away. False when it was
 * already gone.
 */
export async function endPauseProcess(pid: number, timeoutMs = 5000): Promise<boolean> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if (isErrno(err, 'ESRCH')) return false;
    throw err;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (stat === '' || /^\d+ \(.*\) Z /s.test(stat)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
