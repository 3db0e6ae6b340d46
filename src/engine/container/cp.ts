import { readFileSync, statSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { MonitorConfig } from '../../monitor/protocol.js';
import { ContainerStore } from '../../store/containers.js';
import { DirHandle, resolveBeneath } from '../../util/dir-handle.js';
import { InvalidArgumentError, SkiffError, isErrno } from '../../util/errors.js';
import { nonEnding } from '../../util/atomic-output.js';
import type { EngineContext } from '../context.js';
import { loadContainer, resolveContainer, type ContainerInfo } from './record.js';

export interface ContainerCopyOptions {
  /** `[CONTAINER:]PATH`, or `-` for a tar stream on `stdin`. */
  source: string;
  /** `[CONTAINER:]PATH`, or `-` for a tar stream on `stdout`. */
  destination: string;
  /** Chown what is copied into a container to its primary uid/gid (podman's default); otherwise keep the archive's ids. */
  archive: boolean;
  /** Allow a directory to replace a non-directory and the reverse. */
  overwrite: boolean;
  stdin?: Readable;
  stdout?: NodeJS.WritableStream;
}

/** One side of a copy as given on the command line. */
type Side = { kind: 'stdio' } | { kind: 'host'; path: string } | { kind: 'container'; container: string; path: string };

/** A side made concrete: a root directory to resolve the path inside, and how the side is named in messages. */
interface OpenSide {
  root: string;
  /** Absolute inside `root` (a container's relative path joined to its working directory). */
  path: string;
  /** The path as the user typed it, for messages. */
  given: string;
  where: string;
  info?: ContainerInfo;
}

/**
 * Parses `[CONTAINER:]PATH` as podman does: a path that starts with `/` or
 * `.` is the host's even when it holds a colon; otherwise what comes before
 * the first colon names a container.
 */
export function parseCopySide(arg: string): Side {
  if (arg === '-') return { kind: 'stdio' };
  if (arg.startsWith('/') || arg.startsWith('.')) return { kind: 'host', path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { kind: 'host', path: arg };
  return { kind: 'container', container: arg.slice(0, colon), path: arg.slice(colon + 1) || '/' };
}

/**
 * Copies files between a container and the host, or between two
 * containers (`skiff cp`), with podman's path rules: a file onto a file
 * overwrites it, into a directory keeps its name, to a missing path takes
 * that name; a directory ending in `/.` gives its contents. `-` is a tar
 * stream on stdin or stdout.
 *
 * Safety: every path is resolved inside its root one component at a time
 * through directory fds (util/dir-handle.ts resolveBeneath), as the
 * container itself would see it, and the copy itself reads and writes only
 * through directory fds with O_NOFOLLOW (pack.ts, unpack-beneath.ts), so no
 * link of the container's, even one swapped in during the copy, leads
 * outside its root. Holds each container's lock for the copy; a stopped
 * container's root filesystem is mounted meanwhile (overlay) at its usual
 * place, which start and rm unmount should this process die. Runs as root
 * of the user namespace.
 */
export async function copyContainerFiles(ctx: EngineContext, options: ContainerCopyOptions): Promise<void> {
  const src = parseCopySide(options.source);
  const dst = parseCopySide(options.destination);
  if (src.kind === 'stdio' && dst.kind === 'stdio') throw new InvalidArgumentError('invalid arguments -, -: only one of SRC and DEST may be "-"');
  if (src.kind !== 'container' && dst.kind !== 'container') {
    throw new InvalidArgumentError(`invalid arguments ${options.source}, ${options.destination} you must use at least one container`);
  }
  for (const side of [src, dst]) {
    if (side.kind === 'container' && side.path === '') throw new InvalidArgumentError('a container path must not be empty');
  }
  // Resolved before anything is locked, so a typo fails fast with podman's message.
  const ids = new Map<string, ContainerInfo>();
  for (const side of [src, dst]) if (side.kind === 'container') ids.set(side.container, await resolveContainer(ctx, side.container));

  await withSide(ctx, src, ids, undefined, (from) =>
    withSide(ctx, dst, ids, from, (to) => runCopy(options, src, dst, from, to)));
}

/** Runs `use` with the side opened: a host path (root `/`), or a container's root filesystem under its lock. */
async function withSide<T>(
  ctx: EngineContext, side: Side, ids: Map<string, ContainerInfo>, other: OpenSide | undefined, use: (open: OpenSide | undefined) => Promise<T>,
): Promise<T> {
  if (side.kind === 'stdio') return use(undefined);
  if (side.kind === 'host') return use({ root: '/', path: side.path, given: side.path, where: 'the host' });
  const info = ids.get(side.container)!;
  const where = `container ${side.container}`;
  // Both sides in one container: its lock is already held and its root open.
  const path = inContainer(info, side.path);
  if (other?.info?.record.id === info.record.id) return use({ ...other, path, given: side.path, where });
  const store = new ContainerStore(ctx.layout);
  return store.withContainerLock(info.record.id, async () => {
    const storage = readStorage(ctx, info.record.id);
    const status = (await loadContainer(ctx, info.record.id))?.state.status;
    const running = status === 'running' || status === 'paused';
    return withWritableRootfs(storage, running, (root) => use({ root, path, given: side.path, where, info }).catch((err) => {
      // An errno error escaping here would read as the container's removal (withContainerLock maps ENOENT so).
      if (err instanceof SkiffError || typeof (err as NodeJS.ErrnoException).code !== 'string') throw err;
      throw new SkiffError('ECOPY', `copying to or from ${where}: ${(err as Error).message}`, { cause: err });
    }));
  });
}

/**
 * A container path as podman takes it: a relative one is relative to the
 * container's working directory. Joined as text, so a trailing `/.` or `/`
 * keeps its meaning.
 */
function inContainer(info: ContainerInfo, path: string): string {
  if (path.startsWith('/')) return path;
  return `${info.record.spec.workingDir.replace(/\/+$/, '')}/${path}`;
}

function readStorage(ctx: EngineContext, id: string): MonitorConfig['storage'] {
  try {
    return (JSON.parse(readFileSync(ctx.layout.containerMonitorConfig(id), 'utf8')) as MonitorConfig).storage;
  } catch (err) {
    throw new SkiffError('ECORRUPT', `container ${id.slice(0, 12)} has no storage configuration: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Runs `use` on the container's root filesystem as it runs it: the mounted
 * overlay of a running container; for a stopped one, its overlay mounted
 * read-write at the same place for the duration (the caller holds the
 * container's lock, so no start mounts it meanwhile), or its vfs copy, made
 * first if the container never ran.
 */
async function withWritableRootfs<T>(storage: MonitorConfig['storage'], running: boolean, use: (root: string) => Promise<T>): Promise<T> {
  const { rootfsDriver, rootfsPath } = await import('../../store/drivers/driver.js');
  const driver = await rootfsDriver(storage);
  if (running && driver.isMounted(storage)) return use(rootfsPath(storage));
  // As a start mounts it: with an id map of its own, its layers' copies made first.
  const { mountRootfs } = await import('../../monitor/cleanup.js');
  const root = await mountRootfs(storage);
  try {
    return await use(root);
  } finally {
    await driver.unmount(storage);
  }
}

/** What the source path names, opened. */
interface Source {
  parent: DirHandle;
  /** The entry in `parent`; undefined when the source is the directory `parent` itself (a root, a path ending in `/.`). */
  name: string | undefined;
  isDir: boolean;
}

async function runCopy(options: ContainerCopyOptions, srcSide: Side, dstSide: Side, from: OpenSide | undefined, to: OpenSide | undefined): Promise<void> {
  const { copyTree, packTree } = await import('../../image/layer/pack.js');
  const { openBeneathWriter, unpackBeneath } = await import('../../image/layer/unpack-beneath.js');
  const owner = dstSide.kind !== 'container' ? 'none' as const
    : options.archive ? { uid: to!.info!.record.spec.user.uid, gid: to!.info!.record.spec.user.gid } : 'keep' as const;
  // Entries are named in messages as podman does: beneath the container's directory, or the host directory copied into.
  const shownAs = (dir: string) => (dstSide.kind === 'container' ? dir : '');
  // A container with an id map of its own stores other ids than it sees: archives carry the ones it sees.
  const fromMap = srcSide.kind === 'container' ? from?.info?.record.spec.idMappings : undefined;
  const toMap = dstSide.kind === 'container' ? to?.info?.record.spec.idMappings : undefined;
  const shift = fromMap || toMap ? await import('../../store/id-shift.js') : undefined;
  const readOwners = fromMap ? shift!.ownersInside(fromMap) : undefined;
  const unpackOptions = { owner, overwrite: options.overwrite, ...(toMap ? { storedOwner: shift!.ownersStored(toMap) } : {}) };

  if (!from) {
    // A tar stream from stdin, unpacked into an existing directory; anything else (missing too) is podman's one error.
    const notDir = () => new InvalidArgumentError('destination must be a directory when copying from stdin');
    const dest = (() => {
      try {
        return openDestination(to!);
      } catch (err) {
        if (err instanceof SkiffError && err.code === 'ENOTFOUND') throw notDir();
        throw err;
      }
    })();
    try {
      if (!dest.existing?.isDirectory()) throw notDir();
      const dir = dest.name === undefined ? dest.parent.dup() : dest.parent.openDir(dest.name);
      if (!dir) throw notDir();
      try {
        const { tarFromStdin } = await import('../../image/layer/stdin-archive.js');
        await unpackBeneath(await tarFromStdin(options.stdin!), dir, { ...unpackOptions, shownAs: shownAs(to!.path) });
      } finally {
        dir.close();
      }
    } finally {
      dest.parent.close();
    }
    return;
  }

  const source = openSource(from);
  try {
    // A directory named by a path ending in `/.` (or a root): its contents are copied, not itself.
    const contents = source.name === undefined;
    if (!to) {
      await packTree(nonEnding(options.stdout!), (p) => (contents ? p.walk(source.parent, '') : p.entry(source.parent, source.name!, source.name!)), readOwners);
      return;
    }
    if (dstSide.kind === 'host') checkHostDestination(to.path);
    const dest = openDestination(to);
    try {
      const existing = dest.existing;
      let into: DirHandle;
      let intoPath: string;
      let fill: Parameters<typeof copyTree>[1];
      if (existing?.isDirectory()) {
        intoPath = to.path;
        into = dest.name === undefined ? dest.parent.dup() : mustOpenDir(dest.parent, dest.name, to);
        fill = contents ? (p) => p.walk(source.parent, '') : (p) => p.entry(source.parent, source.name!, source.name!);
      } else if (existing) {
        if (source.isDir) throw new InvalidArgumentError('destination must be a directory when copying a directory');
        intoPath = posix.dirname(to.path);
        into = dest.parent.dup();
        fill = (p) => p.entry(source.parent, source.name!, dest.name!);
      } else {
        if (/\/$/.test(to.path) && !source.isDir) throw notFound(to, 'ENOENT');
        intoPath = posix.dirname(to.path);
        into = dest.parent.dup();
        const as = dest.name!;
        fill = contents ? (p) => p.walk(source.parent, `${as}/`) : (p) => p.entry(source.parent, source.name!, as);
        if (contents) dest.parent.mkdir(as, 0o755);
      }
      try {
        await pipe(copyTree, openBeneathWriter, fill, into, { ...unpackOptions, shownAs: shownAs(intoPath.replace(/\/\.?$/, '')) }, readOwners);
      } finally {
        into.close();
      }
    } finally {
      dest.parent.close();
    }
  } finally {
    source.parent.close();
  }
}

/**
 * podman refuses a host destination that exists and is neither a directory
 * nor a regular file (`/dev/stdout`: `-` is the way to write a tar there).
 * The host's own path, so following its links is the user's choice.
 */
function checkHostDestination(path: string): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return;
  }
  if (!st.isDirectory() && !st.isFile()) throw new InvalidArgumentError(`invalid destination: "${path}" must be a directory or a regular file`);
}

/**
 * Copies what `fill` walks straight into `into` through unpack-beneath.ts's
 * writer: one process holds both trees, so entries go across as they are
 * read, with no tar encoded and parsed again between (that cost cp two to
 * three times tar's time on a tree of many small files).
 */
async function pipe(
  copyTree: typeof import('../../image/layer/pack.js').copyTree,
  openBeneathWriter: typeof import('../../image/layer/unpack-beneath.js').openBeneathWriter,
  fill: Parameters<typeof copyTree>[1],
  into: DirHandle,
  options: Parameters<typeof openBeneathWriter>[1],
  readOwners?: Parameters<typeof copyTree>[2],
): Promise<void> {
  const writer = openBeneathWriter(into, options);
  try {
    await copyTree(writer, fill, readOwners);
    writer.finish();
  } finally {
    writer.close();
  }
}

/** `side.path` resolved inside `side.root` as the container sees it (see resolveBeneath); a missing path is podman's error. */
function resolveSide(side: OpenSide): ReturnType<typeof resolveBeneath> {
  const root = DirHandle.open(side.root);
  try {
    return resolveBeneath(root, side.path, true);
  } catch (err) {
    throw notFound(side, errnoOf(err), err);
  } finally {
    root.close();
  }
}

function openSource(side: OpenSide): Source {
  const resolved = resolveSide(side);
  if (resolved.name === undefined) return { parent: resolved.parent, name: undefined, isDir: true };
  const st = resolved.parent.lstat(resolved.name);
  if (!st) {
    resolved.parent.close();
    throw notFound(side, 'ENOENT');
  }
  if (st.isDirectory()) {
    // Copying a directory walks it; keep a handle on it and name it as the root of the copy.
    const dir = resolved.parent.openDir(resolved.name);
    if (dir && /\/\.$/.test(side.path)) {
      resolved.parent.close();
      return { parent: dir, name: undefined, isDir: true };
    }
    dir?.close();
  }
  return { parent: resolved.parent, name: resolved.name, isDir: st.isDirectory() };
}

function openDestination(side: OpenSide): { parent: DirHandle; name: string | undefined; existing: ReturnType<DirHandle['lstat']> } {
  const resolved = resolveSide(side);
  const existing = resolved.name === undefined ? resolved.parent.stat() : resolved.parent.lstat(resolved.name);
  return { ...resolved, existing };
}

function mustOpenDir(parent: DirHandle, name: string, side: OpenSide): DirHandle {
  const dir = parent.openDir(name);
  if (!dir) throw new SkiffError('ECOPY', `"${side.given}" on ${side.where} changed while being copied to`);
  return dir;
}

function errnoOf(err: unknown): string {
  for (const code of ['ENOENT', 'ENOTDIR', 'ELOOP']) if (isErrno(err, code)) return code;
  throw err;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
};

/** podman's wording: `"/etc/nope" could not be found on container web: no such file or directory`. */
function notFound(side: OpenSide, code: string, cause?: unknown): SkiffError {
  return new SkiffError('ENOTFOUND', `"${side.given}" could not be found on ${side.where}: ${ERRNO_TEXT[code]}`, { cause });
}
