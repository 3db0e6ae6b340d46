import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { Duplex, Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { decompressor } from '../../image/layer/compression.js';
import { isTarHeader } from '../../image/layer/stdin-archive.js';
import { DirHandle } from '../../util/dir-handle.js';
import { SkiffError } from '../../util/errors.js';
import type { EntryHeader } from '../../image/layer/pack.js';
import { emitSource, hashCopySources, planDest, writeLayerTar, type CopyLayerOptions, type CopyModeOptions } from './copy-layer.js';
import { CopySourceError, type CopySource } from './sources.js';

/** A file ADD downloaded from an http(s) URL, waiting in a temp dir until the caller closes it. */
export interface DownloadedSource {
  url: string;
  /** The downloaded file (in a temp dir of its own). */
  path: string;
  /** The name it gets in a destination directory: the last component of the URL's path. */
  name: string;
  /** The server's Last-Modified, else the time of the download: the file's mtime in the layer, as docker's. */
  mtime: Date;
  /** Removes the temp dir. */
  close(): Promise<void>;
}

export type AddSource = CopySource | DownloadedSource;

/** An ADD source that could not be downloaded. */
export class AddDownloadError extends SkiffError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('EADDDOWNLOAD', message, options);
  }
}

/** True for an ADD source that names a URL (docker: http:// and https:// only; anything else is a path). */
export function isAddUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * Downloads ADD's `url` (http or https, redirects followed, at most 10)
 * into a new temp dir beneath `tmpDir`, streaming to disk. A status other
 * than 200 is an AddDownloadError and leaves nothing behind; so does a
 * body shorter than its Content-Length. The caller closes the result.
 */
export async function downloadAddSource(url: string, options: { tmpDir: string; timeoutMs?: number }): Promise<DownloadedSource> {
  const dir = mkdtempSync(posix.join(resolve(options.tmpDir), 'skiff-add-'));
  const path = posix.join(dir, 'download');
  try {
    const response = await get(url, options.timeoutMs ?? 120_000);
    const expected = response.headers['content-length'] !== undefined ? Number(response.headers['content-length']) : undefined;
    let received = 0;
    response.on('data', (chunk: Buffer) => (received += chunk.length));
    await pipeline(response, createWriteStream(path, { mode: 0o600 }));
    if (expected !== undefined && received !== expected) throw new AddDownloadError(`reading "${url}": unexpected EOF (got ${received} of ${expected} bytes)`);
    const lastModified = response.headers['last-modified'] ? new Date(response.headers['last-modified']) : undefined;
    const name = decodeURIComponent(new URL(response.finalUrl).pathname.split('/').filter(Boolean).pop() ?? '');
    return {
      url,
      path,
      name,
      mtime: lastModified && !Number.isNaN(lastModified.getTime()) ? lastModified : new Date(),
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (err instanceof SkiffError) throw err;
    throw new AddDownloadError(`getting "${url}": ${(err as Error).message}`, { cause: err });
  }
}

type Response = import('node:http').IncomingMessage & { finalUrl: string };

async function get(url: string, timeoutMs: number, redirects = 0): Promise<Response> {
  const parsed = new URL(url);
  const client = parsed.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const response = await new Promise<import('node:http').IncomingMessage>((ok, fail) => {
    const request = client.get(parsed, { timeout: timeoutMs }, ok);
    request.once('error', fail);
    request.once('timeout', () => request.destroy(new Error(`no answer in ${timeoutMs / 1000}s`)));
  });
  const status = response.statusCode ?? 0;
  if ([301, 302, 303, 307, 308].includes(status) && response.headers.location) {
    response.resume();
    if (redirects >= 10) throw new AddDownloadError(`getting "${url}": stopped after 10 redirects`);
    return get(new URL(response.headers.location, parsed).toString(), timeoutMs, redirects + 1);
  }
  if (status !== 200) {
    response.resume();
    throw new AddDownloadError(`getting "${url}": invalid response status ${status}`);
  }
  return Object.assign(response, { finalUrl: parsed.toString() });
}

function isDownloaded(source: AddSource): source is DownloadedSource {
  return 'url' in source;
}

export type ArchiveKind = 'tar' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

/**
 * Writes the layer ADD `sources` `dest` adds: a local file that is a tar
 * archive (plain, gzip, bzip2, xz or zstd, found by its bytes, not its
 * name) is extracted into `dest`, a directory; any other local source is
 * copied as COPY copies it; a downloaded file is copied as a file, never
 * extracted, mode 0600 (or --chmod) and its Last-Modified as mtime, as
 * docker and buildah do.
 *
 * Extraction never writes outside `dest`: names are cleaned with `..`
 * clamped at `dest` and a leading `/` dropped (as buildah), an entry
 * below a symlink or file of the same archive is refused, a hardlink must
 * name a file the archive put in `dest`, and names with a `.wh.` component
 * are left out (a layer would read them as whiteouts). Extracted entries
 * keep the archive's owners, modes and mtimes (--chown and --chmod touch
 * only the directories the copy makes, as buildah's), and directories the
 * archive implies without listing are made 0755. Streams throughout.
 */
export async function writeAddLayer(sources: AddSource[], dest: string, out: Writable, options: CopyLayerOptions): Promise<void> {
  const kinds: Array<ArchiveKind | undefined> = [];
  for (const s of sources) kinds.push(isDownloaded(s) || s.type !== 'file' ? undefined : await archiveKind(s));
  const forceDir = sources.length > 1 || kinds.some((k) => k !== undefined) || sources.some((s) => !isDownloaded(s) && s.type === 'directory');
  const plan = planDest(dest, options, forceDir);
  const owner = options.chown ?? { uid: 0, gid: 0 };
  const made = new Set(plan.made);
  const madeTime = options.timestamp ?? new Date();
  await writeLayerTar(out, options, plan.made, async (packer, pack) => {
    for (const [index, source] of sources.entries()) {
      if (isDownloaded(source)) {
        if (plan.asDir && !source.name) throw new AddDownloadError(`cannot determine filename from url: ${source.url}`);
        const name = plan.asDir ? posix.join(plan.destRel, source.name) : plan.destRel;
        const size = statSync(source.path).size;
        const header = { name, type: 'file' as const, size, mode: options.chmod ?? 0o600, uid: owner.uid, gid: owner.gid, mtime: source.mtime };
        await writeEntry(pack, header, createReadStream(source.path));
        continue;
      }
      const kind = kinds[index];
      if (kind === undefined) {
        const at = source.type === 'directory' ? plan.dirPrefix : plan.asDir ? posix.join(plan.destRel, source.name) : plan.destRel;
        await emitSource(packer, source, at);
        continue;
      }
      await extractInto(pack, await openArchive(source, kind), plan.destRel, {
        made,
        makeDir: (name) => ({ name: name + '/', type: 'directory', mode: 0o755, uid: owner.uid, gid: owner.gid, mtime: madeTime }),
        shown: source.rel,
      });
    }
  });
}

/**
 * The digest hashCopySources gives, for ADD: a downloaded file counts by
 * its content and name (not its mtime), a local archive by its bytes (what
 * it holds follows from them); so EXEC's cache sees a changed download.
 */
export async function hashAddSources(sources: AddSource[], options: CopyModeOptions = {}): Promise<string> {
  const hash = createHash('sha256');
  for (const source of sources) {
    if (isDownloaded(source)) {
      const content = createHash('sha256');
      for await (const chunk of createReadStream(source.path)) content.update(chunk as Buffer);
      hash.update(JSON.stringify(['url', source.url, source.name, content.digest('hex')]) + '\n');
    } else {
      const kind = source.type === 'file' ? await archiveKind(source) : undefined;
      hash.update(JSON.stringify(['local', kind ?? null, await hashCopySources([source], options)]) + '\n');
    }
  }
  return `sha256:${hash.digest('hex')}`;
}

/**
 * What kind of tar archive a file source is, by its first bytes (read
 * through a directory fd chain, never following a link); a compressed
 * file counts only when what it holds starts as a tar, as buildah's.
 */
async function archiveKind(source: CopySource): Promise<ArchiveKind | undefined> {
  const kind = compressionKind(source);
  if (kind === undefined || kind === 'tar') return kind;
  const stream = await openArchive(source, kind);
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      head = Buffer.concat([head, chunk as Buffer]);
      if (head.length >= 512) break;
    }
  } catch {
    return undefined; // not really compressed: copied as a file
  } finally {
    stream.destroy();
  }
  return isTarHeader(head.subarray(0, 512)) ? kind : undefined;
}

function compressionKind(source: CopySource): ArchiveKind | undefined {
  const fd = openSource(source);
  try {
    const head = Buffer.alloc(512);
    let got = 0;
    while (got < head.length) {
      const n = readSync(fd, head, got, head.length - got, got);
      if (n === 0) break;
      got += n;
    }
    const bytes = head.subarray(0, got);
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
    if (bytes.length >= 3 && bytes.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
    if (bytes.length >= 6 && bytes.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
    if (bytes.length >= 4 && bytes.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return isTarHeader(bytes) ? 'tar' : undefined;
  } finally {
    closeSync(fd);
  }
}

/** Opens file source `source` read-only, walking from its root one component at a time with O_NOFOLLOW. */
function openSource(source: CopySource): number {
  const parts = source.rel.split('/');
  const name = parts.pop()!;
  let dir = DirHandle.open(source.root);
  try {
    for (const part of parts) {
      const next = dir.openDir(part);
      dir.close();
      if (!next) throw new CopySourceError(`copier: get: "/${source.rel}" changed while it was being copied`);
      dir = next;
    }
    const file = dir.openFile(name);
    if (!file) throw new CopySourceError(`copier: get: "/${source.rel}" changed while it was being copied`);
    return file.fd;
  } finally {
    dir.close();
  }
}

/** The (decompressed) tar stream of an archive source. */
async function openArchive(source: CopySource, kind: ArchiveKind): Promise<Readable> {
  const raw = createReadStream('', { fd: openSource(source), highWaterMark: 1 << 20 });
  if (kind === 'tar') return raw;
  const transform: Duplex = kind === 'gzip' ? createGunzip() : kind === 'zstd' ? await decompressor('zstd') : programStream(kind === 'bzip2' ? 'bzip2' : 'xz', ['-d', '-c', '-q']);
  pipeline(raw, transform).catch((err: unknown) => transform.destroy(err as Error));
  return transform;
}

/** `program args` as a stream: stdin in, stdout out; a failure (or a missing program) becomes a stream error. */
function programStream(program: string, args: string[]): Duplex {
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.once('error', (err) => duplex.destroy(new SkiffError('EADDARCHIVE', `${program}: ${err.message}`, { hint: `install ${program}` })));
  child.once('exit', (code, signal) => {
    if (code !== 0) duplex.destroy(new SkiffError('EADDARCHIVE', `${program}: ${stderr.trim().split('\n').pop() || `exited with ${code ?? signal}`}`));
  });
  duplex.once('close', () => {
    if (child.exitCode === null) child.kill();
  });
  return duplex;
}

/** Writes one entry into `pack`, its content from `content` when it is a file. */
function writeEntry(pack: tar.Pack, header: EntryHeader, content?: Readable): Promise<void> {
  return new Promise<void>((ok, fail) => {
    const done = (err?: Error | null) => (err ? fail(err) : ok());
    if (!content) {
      pack.entry(header, done);
      return;
    }
    const entry = pack.entry(header, done);
    pipeline(content, entry).catch(fail);
  });
}

/** `name` cleaned as buildah's extraction cleans it: leading `/` dropped, `.` dropped, `..` clamped at the top; '' is the top. */
function cleanArchiveName(name: string): string {
  const parts: string[] = [];
  for (const comp of name.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp === '..') parts.pop();
    else parts.push(comp);
  }
  return parts.join('/');
}

/** Streams the entries of `archive` into `pack` beneath `destRel` with writeAddLayer's rules. */
async function extractInto(pack: tar.Pack, archive: Readable, destRel: string, ctx: { made: Set<string>; makeDir: (name: string) => EntryHeader; shown: string }): Promise<void> {
  const extract = tar.extract();
  const feeding = pipeline(archive, extract);
  feeding.catch(() => undefined);
  const under = (rel: string) => (destRel === '' ? rel : `${destRel}/${rel}`);
  const dirs = new Set<string>(ctx.made);
  if (destRel !== '') dirs.add(destRel);
  const nonDirs = new Set<string>();
  const files = new Set<string>();
  const refuse = (name: string, why: string) => new SkiffError('EADDARCHIVE', `extracting "${ctx.shown}": refusing archive entry "${name}": ${why}`);
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const rel = cleanArchiveName(header.name);
      const skip = rel === '' || rel.split('/').some((c) => c.startsWith('.wh.'))
        || !['file', 'contiguous-file', 'directory', 'symlink', 'link', 'fifo', 'character-device', 'block-device'].includes(header.type ?? 'file');
      if (skip) {
        entry.resume();
        continue;
      }
      const name = under(rel);
      const parts = name.split('/');
      for (let i = 1; i < parts.length; i++) {
        const parent = parts.slice(0, i).join('/');
        if (nonDirs.has(parent)) throw refuse(header.name, `"${parent}" is not a directory in the archive`);
        if (!dirs.has(parent) && (destRel === '' || parent.length > destRel.length)) {
          await writeEntry(pack, ctx.makeDir(parent));
          dirs.add(parent);
        }
      }
      const { uname: _uname, gname: _gname, pax: _pax, ...kept } = header;
      const base = { ...kept, name, uid: header.uid ?? 0, gid: header.gid ?? 0 };
      if (header.type === 'directory') {
        entry.resume();
        if (nonDirs.has(name)) throw refuse(header.name, 'a directory over a non-directory of the archive');
        dirs.add(name);
        await writeEntry(pack, { ...base, name: name + '/', type: 'directory', size: 0 });
        continue;
      }
      if (dirs.has(name)) throw refuse(header.name, 'a non-directory over a directory of the archive');
      nonDirs.add(name);
      if (header.type === 'file' || header.type === 'contiguous-file') {
        files.add(name);
        await writeEntry(pack, { ...base, type: 'file' }, entry as unknown as Readable);
        continue;
      }
      entry.resume();
      if (header.type === 'link') {
        const target = under(cleanArchiveName(header.linkname ?? ''));
        if (!files.has(target)) throw refuse(header.name, `the hardlink target "${header.linkname}" is not a file of the archive`);
        await writeEntry(pack, { ...base, type: 'link', linkname: target, size: 0 });
        continue;
      }
      await writeEntry(pack, { ...base, size: 0 });
    }
    await feeding;
  } catch (err) {
    extract.destroy();
    await feeding.catch(() => undefined);
    throw err;
  }
}
