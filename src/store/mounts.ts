import { promises as fsp } from 'node:fs';
import { exec } from '../util/exec.js';

/**
 * Unmounts everything mounted on `path` in the caller's mount namespace
 * (lazily, as a container's rootfs may still be busy). A monitor killed
 * with -9 leaves its overlay mounted, and a mount stacked on it makes the
 * container's removal fail with EBUSY. Must run as (namespaced) root in
 * the pause mount namespace.
 */
export async function unmountAll(path: string): Promise<void> {
  for (let n = mountsOn(path, await fsp.readFile('/proc/self/mountinfo', 'utf8')); n > 0; n--) {
    const result = await exec('umount', ['-l', path]);
    if (result.exitCode !== 0) throw new Error(`unmounting ${path} failed: ${result.stderr.trim()}`);
  }
}

/** How many mounts sit on `path` in a mountinfo text (field 5 is the mount point, octal-escaped). */
export function mountsOn(path: string, mountinfo: string): number {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return mountinfo.split('\n').filter((line) => line && unescape(line.split(' ')[4] ?? '') === path).length;
}
