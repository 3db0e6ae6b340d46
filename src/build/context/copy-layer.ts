import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { copyTree, type EntryHeader, type EntrySink, type OwnerMap, type TreePacker } from '../../image/layer/pack.js';
import { DirHandle } from '../../util/dir-handle.js';
import { SkiffError, isErrno } from '../../util/errors.js';
import { CopySourceError, type CopySource } from './sources.js';

export interface CopyLayerOptions {
  /** The stage's working directory: a relative `dest` is beneath it. */
  workdir: string;
  /** --chown: the owner of everything copied and of the directories made for it (default 0:0). */
  chown?: { uid: number; gid: number };
  /** --chmod: the mode of every file and directory copied (symlinks keep theirs). */
  chmod?: number;
  /** What an absolute path already is in the image the layer goes on: existing directories are not written again. */
  destExists?: (absPath: string) => 'dir' | 'file' | undefined;
  /** The time given to the directories the copy makes (dest and its parents); now when absent, as buildah. */
  timestamp?: Date;
  /**
   * Maps the absolute dest to where it really is in the image, through the
   * image's symlinks (dest.ts's destResolverIn(rootfs)); absent: as written.
   */
  resolveDest?: (absPath: string) => string;
  /**
   * COPY --from (a stage or an image, not the context): copied entries keep
   * their owners, mapped by `owners` from the ids the walk sees to the
   * image's (identity inside the build's user namespace), and their setuid
   * and setgid bits, as buildah's PreserveOwnership. --chown still wins.
   */
  preserve?: { owners: OwnerMap };
}

/** A destination that cannot take the copy (a file where a directory is needed). */
export class CopyDestinationError extends SkiffError {
  constructor(message: string) {
    super('ECOPYDEST', message);
  }
}

/**
 * Writes the OCI layer (an uncompressed tar, `out` ended on success) that
 * COPY `sources` `dest` adds, with docker's rules: `dest` is a directory
 * when it ends in `/` (or `.`), when there are several sources, when a
 * source is a directory, or when destExists says it is one; a directory
 * source gives its contents, not itself; every other source lands in a
 * directory under its own name, or at `dest` itself. The directories the
 * copy needs (dest and its parents, unless destExists says they are there)
 * are entries of mode 0755 owned by --chown's ids or 0:0, as buildah makes
 * them. Copied entries keep their modes (unless --chmod; from the context
 * without setuid/setgid bits, as buildah) and mtimes, and are owned 0:0
 * (unless --chown, or `preserve` for COPY --from); symlinks inside a copied directory stay
 * symlinks, hardlinked files are stored once and linked after.
 *
 * Sources are read through directory fds from their `root`, one component
 * at a time with O_NOFOLLOW (pack.ts's walk), so even a tree that changed
 * since resolveCopySources cannot make it read outside `root`; a source
 * that is gone is a CopySourceError. Files stream in chunks.
 */
export async function writeCopyLayer(sources: CopySource[], dest: string, out: Writable, options: CopyLayerOptions): Promise<void> {
  const plan = planDest(dest, options, sources.length > 1 || sources.some((s) => s.type === 'directory'));
  await writeLayerTar(out, options, plan.made, async (packer) => {
    for (const source of sources) {
      const at = source.type === 'directory' ? plan.dirPrefix : plan.asDir ? posix.join(plan.destRel, source.name) : plan.destRel;
      await emitSource(packer, source, at);
    }
  });
}

/** Where a COPY or ADD puts things: `dest` beneath the workdir, whether it is a directory, and the directories to make for it. */
export interface DestPlan {
  /** `dest` as a path relative to `/`; '' is the root. */
  destRel: string;
  asDir: boolean;
  /** The tar prefix of what goes into dest as a directory: `destRel/`, or '' for the root. */
  dirPrefix: string;
  /** The directories to write (top down), those destExists knows being left out. */
  made: string[];
}

/**
 * Works out COPY/ADD's destination (see writeCopyLayer for the rules);
 * `forceDir` when the sources make it a directory (several of them, or a
 * directory or archive among them). Throws CopyDestinationError when a
 * directory to make is a file in the image.
 */
export function planDest(dest: string, options: Pick<CopyLayerOptions, 'workdir' | 'destExists' | 'resolveDest'>, forceDir: boolean): DestPlan {
  const written = posix.resolve('/', options.workdir || '/', dest);
  const destAbs = options.resolveDest ? posix.resolve('/', options.resolveDest(written)) : written;
  const destRel = destAbs.replace(/^\/+/, '');
  const asDir = forceDir || destRel === '' || dest.endsWith('/') || dest === '.' || dest.endsWith('/.') || options.destExists?.(destAbs) === 'dir';
  const made: string[] = [];
  for (const dir of asDir ? chain(destRel) : chain(posix.dirname(destRel) === '.' ? '' : posix.dirname(destRel))) {
    const now = options.destExists?.('/' + dir);
    if (now === 'dir') continue;
    if (now === 'file') throw new CopyDestinationError(`copier: put: mkdir /${dir}: not a directory`);
    made.push(dir);
  }
  return { destRel, asDir, dirPrefix: destRel === '' ? '' : destRel + '/', made };
}

/**
 * Writes a layer tar into `out` (ended on success): first the directories
 * `made` (0755, --chown's ids or 0:0, options.timestamp or now), then what
 * `fill` adds through pack.ts's walk, with owners and modes as the layer
 * holds them (headerFix). On failure `out` is destroyed with the error.
 */
export async function writeLayerTar(out: Writable, options: CopyLayerOptions, made: string[], fill: (packer: TreePacker, pack: tar.Pack) => Promise<void>): Promise<void> {
  const owner = options.chown ?? { uid: 0, gid: 0 };
  const mtime = options.timestamp ?? new Date();
  const pack = tar.pack();
  const writing = pipeline(pack, out);
  writing.catch(() => undefined);
  try {
    const madeNames = new Set(made.map((dir) => dir + '/'));
    await copyTree(layerSink(pack, options, madeNames), async (packer) => {
      for (const dir of made) await packer.add({ name: dir + '/', type: 'directory', mode: 0o755, uid: owner.uid, gid: owner.gid, mtime });
      await fill(packer, pack);
    });
    pack.finalize();
    await writing;
  } catch (err) {
    pack.destroy(err as Error);
    await writing.catch(() => undefined);
    throw err;
  }
}

/**
 * A sha256 digest (`sha256:...`) of what writeCopyLayer puts in a layer
 * for `sources`: names, types, modes and owners after --chown/--chmod,
 * contents and link targets, but not times, so a file that is touched
 * and left unchanged keeps its digest (podman's cache reuses its COPY
 * step then too). The build cache keys a COPY step on it. Reads the
 * sources with the same confinement as writeCopyLayer.
 */
export async function hashCopySources(sources: CopySource[], options: CopyModeOptions = {}): Promise<string> {
  const hash = createHash('sha256');
  const record = (header: EntryHeader) => {
    const { name, type, mode, uid, gid, linkname, size, devmajor, devminor } = header;
    hash.update(JSON.stringify([name, type, mode, uid, gid, linkname ?? null, size ?? 0, devmajor ?? null, devminor ?? null]) + '\n');
  };
  const fix = headerFix(options);
  const sink: EntrySink = {
    entry(header, content) {
      const h = fix(header);
      record(h);
      if (content) hash.update(content);
    },
    async streamEntry(header, chunks) {
      record(fix(header));
      for await (const chunk of chunks) hash.update(chunk);
    },
  };
  await copyTree(sink, async (packer) => {
    for (const [index, source] of sources.entries()) {
      // Each source under its own index: two sources with the same name still count twice.
      const at = source.type === 'directory' ? `${index}/` : `${index}/${source.name}`;
      await emitSource(packer, source, at);
    }
  });
  return `sha256:${hash.digest('hex')}`;
}

/** The directories from the top down to `rel` ('' is none): `a`, `a/b`, `a/b/c`. */
export function chain(rel: string): string[] {
  const parts = rel === '' ? [] : rel.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** The options that decide owners and modes in the layer, and so its digest. */
export type CopyModeOptions = Pick<CopyLayerOptions, 'chown' | 'chmod' | 'preserve'>;

/**
 * Owners and modes as the layer holds them: --chown's ids, else the
 * source's own (mapped) with `preserve`, else 0:0; from the context the
 * setuid and setgid bits dropped (buildah's StripSetuidBit/StripSetgidBit
 * for COPY and ADD from the context); --chmod's mode on all but links.
 */
function headerFix(options: CopyModeOptions): (header: EntryHeader) => EntryHeader {
  return (header) => {
    const link = header.type === 'symlink' || header.type === 'link';
    const ids = options.chown ?? (options.preserve ? options.preserve.owners(header.uid ?? 0, header.gid ?? 0) : { uid: 0, gid: 0 });
    let mode = header.mode ?? 0o644;
    if (!options.preserve && !link) mode &= ~0o6000;
    if (options.chmod !== undefined && !link) mode = options.chmod;
    return { ...header, uid: ids.uid, gid: ids.gid, mode };
  };
}

/** A sink writing into `pack` with the layer's owners and modes; the directories in `made` keep 0755 under --chmod, as buildah's. */
function layerSink(pack: tar.Pack, options: CopyLayerOptions, made: Set<string>): EntrySink {
  const copied = headerFix(options);
  const madeFix = headerFix({ chown: options.chown ?? { uid: 0, gid: 0 } });
  const fix = (header: EntryHeader) => (made.has(header.name) ? madeFix(header) : copied(header));
  return {
    entry: (header, content) =>
      new Promise<void>((resolve, reject) => {
        const done = (err?: Error | null) => (err ? reject(err) : resolve());
        const h = fix(header);
        if (content || h.type === 'file') pack.entry(h, content ?? Buffer.alloc(0), done);
        else pack.entry(h, done);
      }),
    streamEntry: (header, chunks) =>
      new Promise<void>((resolve, reject) => {
        const entry = pack.entry(fix(header), (err) => (err ? reject(err) : resolve()));
        pipeline(Readable.from(chunks), entry).catch(reject);
      }),
  };
}

/**
 * Adds `source` at tar name `at`: a directory's contents beneath `at` (a
 * prefix ending in `/`, or '' for the top), anything else as the entry `at`.
 */
export async function emitSource(packer: TreePacker, source: CopySource, at: string): Promise<void> {
  try {
    await emitReadable(packer, source, at);
  } catch (err) {
    // An unreadable file or directory of the user's own context: their error, with no /proc/self/fd path in it.
    if (isErrno(err, 'EACCES') || (err instanceof SkiffError && isErrno(err.cause, 'EACCES'))) {
      throw new CopySourceError(`copier: get: "/${source.rel}": permission denied`, { cause: err });
    }
    throw err;
  }
}

async function emitReadable(packer: TreePacker, source: CopySource, at: string): Promise<void> {
  const top = DirHandle.open(source.root);
  const opened: DirHandle[] = [];
  try {
    const parts = source.rel === '' ? [] : source.rel.split('/');
    let dir = top;
    const gone = () => new CopySourceError(`copier: get: "/${source.rel}" changed while it was being copied`);
    if (source.type === 'directory') {
      for (const part of parts) {
        const next = dir.openDir(part);
        if (!next) throw gone();
        opened.push(next);
        dir = next;
      }
      await walkFiltered(packer, dir, source.rel, at, source.ignore);
      return;
    }
    const name = parts.pop();
    if (name === undefined) throw gone();
    for (const part of parts) {
      const next = dir.openDir(part);
      if (!next) throw gone();
      opened.push(next);
      dir = next;
    }
    if (!dir.lstat(name)) throw gone();
    await packer.entry(dir, name, at, false);
  } finally {
    for (const dir of opened.reverse()) dir.close();
    top.close();
  }
}

/** The ignore rules' own answer to "may something below an ignored directory be included again (a `!` rule)?" */
export type IgnoreFn = ((rel: string) => boolean) & { hasExceptions?: boolean };

/**
 * Adds what `dir` holds beneath tar prefix `at`, leaving out what `ignore`
 * excludes (paths relative to the source's root: `ctxRel/name`). An
 * excluded directory is still walked when the rules have `!` exceptions
 * that may take back something inside it.
 */
async function walkFiltered(packer: TreePacker, dir: DirHandle, ctxRel: string, at: string, ignore?: IgnoreFn): Promise<void> {
  for (const name of dir.names().sort()) {
    const rel = ctxRel === '' ? name : `${ctxRel}/${name}`;
    const st = dir.lstat(name);
    if (!st) continue;
    const excluded = ignore?.(rel) === true;
    if (excluded && !(st.isDirectory() && ignore?.hasExceptions !== false)) continue;
    if (!st.isDirectory()) {
      await packer.entry(dir, name, at + name, false);
      continue;
    }
    if (!excluded) await packer.entry(dir, name, at + name, false);
    const sub = dir.openDir(name);
    if (!sub) continue; // replaced meanwhile by something that is not a directory
    try {
      await walkFiltered(packer, sub, rel, `${at}${name}/`, ignore);
    } finally {
      sub.close();
    }
  }
}
