import { lstatSync, readdirSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { resolveInRootSync } from '../../image/layer/secure-path.js';
import { SkiffError, isErrno } from '../../util/errors.js';
import { hasGlobMeta, matchComponent } from './glob.js';

/** A COPY/ADD source that cannot be found (or is excluded by the ignore file); podman's (buildah copier's) wording. */
export class CopySourceError extends SkiffError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ECOPYSOURCE', message, options);
  }
}

/**
 * One source of a COPY or ADD, found by resolveCopySources: where it is
 * beneath `root` once symlinks are followed (within `root`), and under
 * which name it lands in a destination directory.
 */
export interface CopySource {
  /** The tree it was found in: the build context, or a stage's root file system for COPY --from. */
  root: string;
  /** Its path relative to `root` with every symlink resolved beneath `root`; '' is `root` itself. */
  rel: string;
  /** The name it gets inside a destination directory: the last component as the Containerfile (or the glob's match) names it. */
  name: string;
  /** What `rel` is: a directory's contents are copied, anything else is copied as one entry. */
  type: 'file' | 'directory' | 'other';
  /** The ignore rules the walk below a directory applies (paths relative to `root`), when the caller gave some. */
  ignore?: (rel: string) => boolean;
}

export interface ResolveCopySourcesOptions {
  /** True for a path (relative to `root`) that the ignore file excludes: it is treated as missing. */
  ignore?: (rel: string) => boolean;
  /** A glob that matches nothing is no error (buildah's --ignore-missing-globs style); a plain missing path still is. */
  allowMissingGlobs?: boolean;
}

/**
 * Finds COPY/ADD `sources` in the tree `root` (made absolute) with docker's rules: a path
 * is relative to `root` whether or not it starts with `/`, and `..` stops
 * at `root`; a component may be a filepath.Match glob (`*`, `?`, `[...]`,
 * no `**`), matched against the names in its directory (sorted); a source
 * that is a symlink is followed, and so are links on the way to it, but
 * always as if `root` were `/` (an absolute target or `../..` lands beneath
 * `root`, docker's FollowSymlinkInScope), so nothing outside `root` is ever
 * named. Links inside a copied directory are not followed here: the layer
 * writer copies them as links.
 *
 * Only reads `root` (lstat, readlink, readdir); the layer writer opens the
 * results again component by component without following links, so a
 * tree changed in between is never a way out. A missing or ignored source
 * is a CopySourceError with podman's wording.
 */
export async function resolveCopySources(root: string, sources: string[], options: ResolveCopySourcesOptions = {}): Promise<CopySource[]> {
  const top = resolve(root);
  const found: CopySource[] = [];
  for (const source of sources) found.push(...resolveOne(top, source, options));
  return found;
}

function resolveOne(root: string, source: string, options: ResolveCopySourcesOptions): CopySource[] {
  const { parts, escaped } = cleanSource(source);
  const where = `checking on sources under "${root}": ${escaped ? 'possible escaping context directory error: ' : ''}`;
  const missing = (shown: string) => new CopySourceError(`${where}copier: stat: ${shown}: no such file or directory`);
  const ignored = (rel: string) => rel !== '' && options.ignore?.(rel) === true;

  if (!parts.some(hasGlobMeta)) {
    const rel = resolveRel(root, parts.join('/'));
    const st = lstatRel(root, rel);
    if (!st || ignored(rel) || ignored(parts.join('/'))) throw missing(`"/${parts.join('/')}"`);
    return [{ root, rel, name: parts.length ? parts[parts.length - 1] : '', type: typeOf(st), ...(options.ignore ? { ignore: options.ignore } : {}) }];
  }

  // Component by component: a glob component lists its directory, the others name one entry.
  let current: Array<{ rel: string; name: string }> = [{ rel: '', name: '' }];
  parts.forEach((part, index) => {
    const next: Array<{ rel: string; name: string }> = [];
    for (const at of current) {
      const names = hasGlobMeta(part) ? listDir(root, at.rel).filter((n) => matchComponent(part, n)).sort() : [unescapeGlob(part)];
      for (const name of names) {
        const rel = resolveRel(root, at.rel === '' ? name : `${at.rel}/${name}`);
        const st = lstatRel(root, rel);
        if (!st) continue;
        // Only what is matched last counts: an excluded directory may hold a file a `!` rule takes back.
        if (index < parts.length - 1 ? !st.isDirectory() : ignored(rel)) continue;
        next.push({ rel, name });
      }
    }
    current = next;
  });
  if (current.length === 0) {
    if (options.allowMissingGlobs) return [];
    throw missing(`["/${parts.join('/')}"]`);
  }
  return current.map(({ rel, name }) => ({ root, rel, name, type: typeOf(lstatRel(root, rel)!), ...(options.ignore ? { ignore: options.ignore } : {}) }));
}

/** The components of a source path with `.` dropped and `..` clamped at the root; `escaped` when a `..` tried to leave it. */
export function cleanSource(source: string): { parts: string[]; escaped: boolean } {
  const parts: string[] = [];
  let escaped = false;
  for (const comp of source.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp === '..') {
      if (parts.length === 0) escaped = true;
      else parts.pop();
      continue;
    }
    parts.push(comp);
  }
  return { parts, escaped };
}

/** `rel` with every symlink in it followed as if `root` were `/`. */
function resolveRel(root: string, rel: string): string {
  let resolved: string;
  try {
    resolved = resolveInRootSync(root, rel, true);
  } catch (err) {
    if (err instanceof SkiffError) throw new CopySourceError(`checking on sources under "${root}": "/${rel}": too many levels of symbolic links`, { cause: err });
    throw err;
  }
  return posix.relative(root, resolved);
}

function lstatRel(root: string, rel: string) {
  try {
    return lstatSync(rel === '' ? root : posix.join(root, rel), { throwIfNoEntry: false });
  } catch (err) {
    if (isErrno(err, 'ENOTDIR')) return undefined;
    throw err;
  }
}

function listDir(root: string, rel: string): string[] {
  try {
    return readdirSync(rel === '' ? root : posix.join(root, rel));
  } catch (err) {
    if (isErrno(err, 'ENOTDIR') || isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

function typeOf(st: { isDirectory(): boolean; isFile(): boolean }): CopySource['type'] {
  return st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
}

function unescapeGlob(part: string): string {
  return part.replace(/\\(.)/g, '$1');
}
