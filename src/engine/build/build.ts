import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
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
  const context = await openBuildContext(
    options.context === '-' ? { tar: options.stdin ?? process.stdin } : { dir: options.context },
    { tmpDir: ctx.layout.tmpDir },
  );
  try {
    return await buildInContext(ctx, options, context);
  } finally {
    await context.close();
  }
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
  const backend = new EngineBuildBackend(ctx);
  const onSignal = (signal: NodeJS.Signals) => {
    void backend.removeLiveContainers().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await executeBuild(backend, {
      file,
      context: { root: contextDir, ignore: (rel) => context.isIgnored(rel) },
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
  const candidates = options.file !== undefined ? [options.file] : [join(contextDir, 'Containerfile'), join(contextDir, 'Dockerfile')];
  for (const path of candidates) {
    try {
      return { text: await fsp.readFile(path, 'utf8'), name: options.file ?? path };
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw new SkiffError('EBUILD', `reading ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (options.file !== undefined) throw new InvalidArgumentError(`the specified Containerfile or Dockerfile does not exist, ${options.file}: no such file or directory`);
  throw new InvalidArgumentError(`no Containerfile or Dockerfile specified or found in context directory, ${contextDir}: no such file or directory`);
}
