import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { SkiffError, isErrno } from '../../util/errors.js';

export class LayerEscapeError extends SkiffError {
  constructor(entry: string, why: string) {
    super('ELAYERESCAPE', `refusing layer entry "${entry}": ${why}`);
  }
}

/**
 * Cleans a tar entry name into a path relative to the layer root. Leading
 * slashes are dropped (tar's usual rule); a name that climbs out with `..` is
 * refused rather than silently clamped, since only a crafted layer has one.
 */
export function cleanEntryName(name: string): string {
  const withoutLead = name.replace(/^\/+/, '');
  // Trailing slashes are stripped before the checks so "./" cleans to the root ('') rather than ".".
  const normalized = posix.normalize(withoutLead === '' ? '.' : withoutLead).replace(/\/+$/, '') || '.';
  if (normalized === '..' || normalized.startsWith('../')) {
    throw new LayerEscapeError(name, 'the path leaves the layer directory');
  }
  return normalized === '.' ? '' : normalized;
}

const MAX_LINKS = 40;

/**
 * Resolves `rel` inside `root` the way the container will see it: symlinks
 * in any component are followed as if `root` were `/`, so an absolute or
 * `../`-laden link target can never lead outside `root`. The last component
 * is followed only when `followLast` is set. Missing components stay as
 * they are (the caller may create them).
 */
export async function resolveInRoot(root: string, rel: string, followLast = false): Promise<string> {
  return resolveInRootSync(root, rel, followLast);
}

/**
 * resolveInRoot with synchronous lstat/readlink: the extractor calls it for
 * every entry, and a thread-pool round trip per path component would make
 * extraction latency-bound.
 */
export function resolveInRootSync(root: string, rel: string, followLast = false): string {
  let pending = rel.split('/').filter((c) => c !== '' && c !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const comp = pending.shift()!;
    if (comp === '..') {
      resolved.pop(); // clamped at the root, as the kernel does for `/..`
      continue;
    }
    const isLast = pending.length === 0;
    const hostPath = posix.join(root, ...resolved, comp);
    let target: string | undefined;
    if (!isLast || followLast) {
      try {
        const st = lstatSync(hostPath, { throwIfNoEntry: false });
        if (st?.isSymbolicLink()) target = readlinkSync(hostPath);
      } catch (err) {
        if (!isErrno(err, 'ENOTDIR')) throw err;
      }
    }
    if (target === undefined) {
      resolved.push(comp);
      continue;
    }
    if (++links > MAX_LINKS) throw new LayerEscapeError(rel, 'too many levels of symbolic links');
    const targetParts = target.split('/').filter((c) => c !== '' && c !== '.');
    if (target.startsWith('/')) resolved.length = 0;
    pending = [...targetParts, ...pending];
  }
  return posix.join(root, ...resolved);
}
