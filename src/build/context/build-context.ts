import { mkdtempSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { chmod, readdir, lstat } from 'node:fs/promises';
import { posix, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { tarFromStdin } from '../../image/layer/stdin-archive.js';
import { unpackBeneath } from '../../image/layer/unpack-beneath.js';
import { DirHandle } from '../../util/dir-handle.js';
import { InvalidArgumentError, isErrno } from '../../util/errors.js';
import type { IgnoreFn } from './copy-layer.js';
import { loadIgnoreFile } from './ignore.js';

/** The files a build reads COPY and ADD sources from. */
export interface BuildContext {
  /** The directory holding the context (the user's own directory, or a temp dir a tar was unpacked in). */
  root: string;
  /** True for a path (relative to `root`) that the ignore file excludes. */
  isIgnored(relPath: string): boolean;
  /** Removes what openBuildContext unpacked (nothing for a directory context). */
  close(): Promise<void>;
}

export interface OpenBuildContextOptions {
  /** The ignore file to use (-f's directory's .containerignore or .dockerignore); absent: the context's own. */
  ignoreFile?: string;
  /** Where a tar context is unpacked, in a temp dir of its own beneath it. */
  tmpDir: string;
}

/**
 * Opens a build context: a directory is used where it is; a tar stream
 * (plain, gzip or zstd) is unpacked into a new temp dir beneath
 * `options.tmpDir` with unpack-beneath's confinement: an entry that climbs
 * out with `..` is refused, an absolute name lands beneath the temp dir,
 * no link is ever followed while writing, devices and FIFOs are skipped.
 * Entries keep their modes; owners are the user's. The ignore rules are
 * read once. The caller closes the context, which removes the temp dir;
 * a failed open leaves nothing behind.
 */
export async function openBuildContext(source: { dir: string } | { tar: NodeJS.ReadableStream }, options: OpenBuildContextOptions): Promise<BuildContext> {
  if ('dir' in source) {
    const root = resolve(source.dir);
    const st = statSync(root, { throwIfNoEntry: false });
    if (!st) throw new InvalidArgumentError(`context directory "${source.dir}" does not exist: no such file or directory`);
    if (!st.isDirectory()) throw new InvalidArgumentError(`context "${source.dir}" is not a directory`);
    return contextAt(root, await loadIgnoreFile(root, options.ignoreFile), async () => undefined);
  }
  const tmp = mkdtempSync(posix.join(resolve(options.tmpDir), 'skiff-context-'));
  const root = posix.join(tmp, 'root');
  try {
    mkdirSync(root, { mode: 0o755 });
    let stream: Readable;
    try {
      stream = await tarFromStdin(source.tar as Readable);
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw new InvalidArgumentError('the build context must be a directory or a (compressed) tar archive', { cause: err });
      throw err;
    }
    const dest = DirHandle.open(root);
    try {
      await unpackBeneath(stream, dest, { owner: 'none', overwrite: true, shownAs: '' });
    } finally {
      dest.close();
    }
    return contextAt(root, await loadIgnoreFile(root, options.ignoreFile), () => removeTree(tmp));
  } catch (err) {
    await removeTree(tmp);
    throw err;
  }
}

function contextAt(root: string, ignore: IgnoreFn | undefined, close: () => Promise<void>): BuildContext {
  let closed = false;
  // The matcher itself, so that its hasExceptions reaches the copy's walk when the executor passes isIgnored on.
  const none: IgnoreFn = Object.assign(() => false, { hasExceptions: false });
  return {
    root,
    isIgnored: ignore ?? none,
    close: async () => {
      if (closed) return;
      closed = true;
      await close();
    },
  };
}

/** rm -rf that also removes what the tar made unwritable (a 0555 directory): its directories get u+rwx first. */
async function removeTree(path: string): Promise<void> {
  try {
    rmSync(path, { recursive: true, force: true });
    return;
  } catch (err) {
    if (!isErrno(err, 'EACCES') && !isErrno(err, 'EPERM')) throw err;
  }
  const open = async (dir: string): Promise<void> => {
    await chmod(dir, 0o700);
    for (const name of await readdir(dir)) {
      const child = posix.join(dir, name);
      if ((await lstat(child)).isDirectory()) await open(child);
    }
  };
  await open(path);
  rmSync(path, { recursive: true, force: true });
}
