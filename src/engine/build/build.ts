import { promises as fsp } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import type { PullPolicy } from '../../build/executor/backend.js';
import { InvalidArgumentError, SkiffError, isErrno } from '../../util/errors.js';
import type { EngineContext } from '../context.js';

export interface ImageBuildOptions {
  /** The context directory, or `-` for a tar on stdin. */
  context: string;
  /** -f: a file (relative to the working directory), `-` for stdin; undefined: Containerfile or Dockerfile in the context. */
  file?: string;
  /** Read for `-f -`. */
  stdin?: Readable;
  tags: string[];
  buildArgs: Record<string, string>;
  target?: string;
  noCache: boolean;
  layers: boolean;
  pull: PullPolicy;
  format: 'oci' | 'docker';
  network: string;
  labels: Record<string, string>;
  quiet: boolean;
  /** The global --runtime-flag values, for RUN's containers. */
  runtimeFlags?: string[];
  /** --ignorefile: the ignore rules to use instead of the context's. */
  ignoreFile?: string;
  /** Stages built at once (0: no limit). */
  jobs: number;
  stdout: Writable;
  stderr: Writable;
}

export interface ImageBuildReport {
  id: string;
}

/**
 * `skiff build`: reads and parses the Containerfile (a malformed one fails
 * here, before anything runs), then runs the executor with the engine's
 * backend. Runs as root of the user namespace. Containers of RUN steps that
 * a killed build left are removed first; on SIGINT or SIGTERM the running
 * step's container is removed before the process exits (130/143).
 */
export async function buildImage(ctx: EngineContext, options: ImageBuildOptions): Promise<ImageBuildReport> {
  const { openBuildContext } = await import('../../build/context/build-context.js');
  if (options.context === '-' && options.file === '-') throw new InvalidArgumentError('cannot read both the Containerfile and the context from stdin');
  await fsp.mkdir(ctx.layout.tmpDir, { recursive: true });
  let source: { dir: string } | { tar: NodeJS.ReadableStream } = { dir: options.context };
  let emptyDir: string | undefined;
  if (options.context === '-') {
    // podman: `build -` reads a tar context, or else the Containerfile itself (then the context is empty).
    const { head, stream } = await peek(options.stdin ?? process.stdin, 512);
    if (looksLikeArchive(head)) source = { tar: stream };
    else {
      emptyDir = await fsp.mkdtemp(join(ctx.layout.tmpDir, 'skiff-context-'));
      source = { dir: emptyDir };
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      options = { ...options, file: '-', stdin: Readable.from([Buffer.concat(chunks)]) };
    }
  }
  let context;
  try {
    context = await openBuildContext(source, { tmpDir: ctx.layout.tmpDir, ...(options.ignoreFile ? { ignoreFile: options.ignoreFile } : {}) });
  } catch (err) {
    if (emptyDir) await fsp.rm(emptyDir, { recursive: true, force: true });
    throw err;
  }
  try {
    return await buildInContext(ctx, options, context);
  } finally {
    await context.close();
    if (emptyDir) await fsp.rm(emptyDir, { recursive: true, force: true });
  }
}

/** The first `bytes` bytes of `input` (fewer at its end), and a stream of all of it, those bytes included. */
async function peek(input: NodeJS.ReadableStream, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = (input as Readable)[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < bytes) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.from(next.value as Buffer);
    taken.push(chunk);
    size += chunk.length;
  }
  async function* all() {
    yield* taken;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value as Buffer;
  }
  return { head: Buffer.concat(taken).subarray(0, bytes), stream: Readable.from(all()) };
}

/** A tar (ustar magic at 257) or a compressed stream (gzip, bzip2, xz, zstd) by its first bytes. */
function looksLikeArchive(head: Buffer): boolean {
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return true;
  const starts = (bytes: number[]) => bytes.every((b, i) => head[i] === b);
  return starts([0x1f, 0x8b]) || starts([0x42, 0x5a, 0x68]) || starts([0xfd, 0x37, 0x7a, 0x58, 0x5a]) || starts([0x28, 0xb5, 0x2f, 0xfd]);
}

async function buildInContext(ctx: EngineContext, options: ImageBuildOptions, context: { root: string; isIgnored(rel: string): boolean }): Promise<ImageBuildReport> {
  const [{ parseContainerfile }, { executeBuild }, { EngineBuildBackend, removeAbandonedBuildContainers }, { localImageName }] = await Promise.all([
    import('../../build/containerfile/parse.js'), import('../../build/executor/executor.js'), import('./backend.js'), import('../../image/reference.js'),
  ]);
  const contextDir = context.root;
  const { text, name } = await readContainerfile(contextDir, options);
  const file = parseContainerfile(text, { file: name, buildArgs: options.buildArgs });
  const tags = options.tags.map((t) => {
    try {
      return localImageName(t);
    } catch (err) {
      throw new InvalidArgumentError(`tag ${t}: invalid reference format`, { cause: err });
    }
  });
  await removeAbandonedBuildContainers(ctx).catch(() => undefined);
  await fsp.mkdir(ctx.layout.tmpDir, { recursive: true });
  const backend = new EngineBuildBackend(ctx, options.runtimeFlags);
  const onSignal = (signal: NodeJS.Signals) => {
    void backend.removeLiveContainers().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await executeBuild(backend, {
      file,
      // The matcher itself: its hasExceptions tells the copy's walk whether an excluded directory can hold included files.
      context: { root: contextDir, ignore: context.isIgnored },
      buildArgs: options.buildArgs,
      target: options.target,
      noCache: options.noCache,
      layers: options.layers,
      pull: options.pull,
      format: options.format,
      network: options.network,
      labels: options.labels,
      tags,
      commitName: options.tags[0],
      quiet: options.quiet,
      jobs: options.jobs,
      tmpDir: ctx.layout.tmpDir,
      stdout: options.stdout,
      stderr: options.stderr,
      warn: (message) => ctx.warnings.push(message),
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** The Containerfile's text and the name messages use for it. */
async function readContainerfile(contextDir: string, options: ImageBuildOptions): Promise<{ text: string; name: string }> {
  if (options.file === '-') {
    if (!options.stdin) throw new InvalidArgumentError('no standard input to read the Containerfile from');
    const chunks: Buffer[] = [];
    for await (const chunk of options.stdin) chunks.push(chunk as Buffer);
    return { text: Buffer.concat(chunks).toString('utf8'), name: '-' };
  }
  // podman: a relative -f not found from here is looked up in the context.
  const candidates = options.file !== undefined
    ? [options.file, ...(isAbsolute(options.file) ? [] : [join(contextDir, options.file)])]
    : [join(contextDir, 'Containerfile'), join(contextDir, 'Dockerfile')];
  for (const path of candidates) {
    try {
      return { text: await fsp.readFile(path, 'utf8'), name: options.file ?? path.slice(contextDir.length + 1) };
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw new SkiffError('EBUILD', `reading ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (options.file !== undefined) throw new InvalidArgumentError(`the specified Containerfile or Dockerfile does not exist, ${options.file}: no such file or directory`);
  throw new InvalidArgumentError(`no Containerfile or Dockerfile specified or found in context directory, ${contextDir}: no such file or directory`);
}
