/**
 * The executor: applies a parsed Containerfile, stage by stage and step by
 * step, through the BuildBackend the engine passes in. Every step becomes
 * an image (its cache entry), as podman's --layers builds keep them; the
 * last one is the result. Progress is written as podman prints it.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Writable } from 'node:stream';
import type { Containerfile, CopyInstruction, Instruction, Stage } from '../containerfile/ast.js';
import { commandArgv, runPlan } from '../containerfile/command.js';
import { expandWord, expandWords } from '../containerfile/expand.js';
import { SkiffError } from '../../util/errors.js';
import type { BuildBackend, PullPolicy } from './backend.js';
import {
  DEFAULT_SHELL, envRecord, exposedPortKey, forFormat, nopCreatedBy, runCreatedBy, setEnv, withStep,
  type BuildImageConfig,
} from './config.js';

export interface BuildContextRoot {
  /** The context directory on the host. */
  root: string;
  /** True for a path (relative to root) that .containerignore/.dockerignore excludes. */
  ignore?: (rel: string) => boolean;
}

export interface ExecuteOptions {
  file: Containerfile;
  context: BuildContextRoot;
  /** --build-arg values. */
  buildArgs: Record<string, string>;
  /** --target: the stage (name or index) to stop at; the last by default. */
  target?: string;
  /** --no-cache: every step runs again. */
  noCache: boolean;
  /** --layers: steps are looked up in (and kept for) the cache. */
  layers: boolean;
  pull: PullPolicy;
  format: 'oci' | 'docker';
  /** --network for RUN steps. */
  network: string;
  /** --label: added to the final image's config. */
  labels: Record<string, string>;
  /** Fully qualified names for the result. */
  tags: string[];
  /** The first -t as typed: podman's `COMMIT <name>` line. */
  commitName?: string;
  /** -q: no progress. */
  quiet: boolean;
  /** Progress and the RUN steps' output. */
  stdout: Writable;
  stderr: Writable;
  /** --jobs: stages built at once (0: no limit); 1 (podman's default) when absent. */
  jobs?: number;
  /** Where ADD's downloads are kept while the step runs. */
  tmpDir: string;
  /** Warnings for the CLI to print. */
  warn: (message: string) => void;
}

export interface ExecuteReport {
  /** The built image's id (hex). */
  id: string;
}

/** A RUN step that failed: podman's message; the build exits with the step's status. */
export class BuildStepError extends SkiffError {
  constructor(message: string, readonly exitCode: number) {
    super('EBUILDRUN', message);
  }
}

/** The state of a stage between steps. */
interface StageState {
  /** The current image (undefined only for scratch before its first step). */
  id?: string;
  image: BuildImageConfig;
  /** How the history comment names the parent of the next step: the base's name first, then short ids. */
  parentName: string;
  /** The ARGs declared in the stage, with their values (undefined: declared without a value). */
  args: Record<string, string | undefined>;
  shell: string[];
  /** CMD was given in this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
}

/**
 * Builds the image `options.file` describes and names it. Stages run in
 * order, only those the target needs. Throws BuildStepError for a failed
 * RUN (with the step's exit code) and the backend's or the context's errors
 * otherwise; the images of the steps that finished stay (the cache).
 */
export async function executeBuild(backend: BuildBackend, options: ExecuteOptions): Promise<ExecuteReport> {
  const { stages } = options.file;
  if (stages.length === 0) throw new SkiffError('EBUILD', 'no FROM statement found');
  const targetIndex = findTarget(stages, options.target);
  const needed = neededStages(stages, targetIndex);
  const built = new Map<number, string>();
  const consumed = new Set<string>();
  const made: string[] = [];
  const multi = needed.length > 1;
  const output = new OrderedOutput(options.stdout, options.stderr);
  const slots = new Slots(options.jobs ?? 1);
  // Each stage starts once the stages it reads from are built: independent
  // ones run at the same time. Their output is shown in stage order, as a
  // one-after-the-other build prints it.
  const running = new Map<number, Promise<string>>();
  for (const [k, index] of needed.entries()) {
    const stage = stages[index];
    // One stage: its output goes straight through, with the streams' backpressure.
    const streams = multi ? output.stage(k) : { stdout: options.stdout, stderr: options.stderr, end: () => undefined };
    const deps = stageDeps(stages, index).map((d) => running.get(d)!);
    running.set(index, (async () => {
      try {
        await Promise.all(deps);
        const id = await slots.run(() => buildStage(backend, { ...options, stdout: streams.stdout, stderr: streams.stderr }, stage, {
          final: index === targetIndex,
          prefix: multi ? `[${k + 1}/${needed.length}] ` : '',
          stageImage: (ref) => resolveStageRef(stages, built, ref),
          consumed,
          made,
        }));
        built.set(index, id);
        return id;
      } finally {
        streams.end();
      }
    })());
  }
  // Every stage settles before a failure is reported: none is left running.
  const results = await Promise.allSettled(needed.map((i) => running.get(i)!));
  // A stage whose dependency failed rejects with that stage's error: the first in stage order is reported.
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const finalId = built.get(targetIndex)!;
  const unused = Object.keys(options.buildArgs).filter((k) => !consumed.has(k) && !(k in options.file.globalArgValues)).sort();
  if (unused.length) options.warn(`one or more build args were not consumed: [${unused.join(' ')}]`);
  const print = (line: string) => !options.quiet && options.stdout.write(line + '\n');
  if (options.tags.length) await backend.tag(finalId, options.tags);
  for (const tag of options.tags) print(`Successfully tagged ${tag}`);
  if (!options.layers) await backend.removeImages(made.filter((id) => id !== finalId));
  return { id: finalId };
}

/** The earlier stages stage `index` reads from directly (FROM and COPY --from). */
function stageDeps(stages: Stage[], index: number): number[] {
  const stage = stages[index];
  const refs = [stage.from.image, ...stage.instructions.filter((x): x is CopyInstruction => x.kind === 'COPY' && !!x.from).map((x) => x.from!)];
  return [...new Set(refs.map((ref) => stageIndex(stages, ref, index)).filter((d): d is number => d !== undefined))];
}

/** At most `limit` tasks at once (0: no limit), as podman's --jobs. */
class Slots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.limit > 0 && this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Output of stages that run at the same time, shown in stage order: the
 * earliest unfinished stage writes through, later ones are held until
 * every stage before them has ended.
 */
class OrderedOutput {
  private live = 0;
  private readonly held: Array<Array<[Writable, Buffer]>> = [];
  private readonly ended: boolean[] = [];

  constructor(private readonly stdout: Writable, private readonly stderr: Writable) {}

  stage(k: number): { stdout: Writable; stderr: Writable; end(): void } {
    this.held[k] = [];
    const through = (target: Writable) => new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        // Passed on (or held) at once: a write queued here could come out after the stage ended.
        if (k === this.live) target.write(chunk);
        else this.held[k].push([target, Buffer.from(chunk)]);
        done();
      },
    });
    return {
      stdout: through(this.stdout),
      stderr: through(this.stderr),
      end: () => {
        this.ended[k] = true;
        while (this.ended[this.live]) {
          this.live++;
          for (const [target, chunk] of this.held[this.live] ?? []) target.write(chunk);
          if (this.held[this.live]) this.held[this.live] = [];
        }
      },
    };
  }
}

/** The stage --target names (by name or index), or the last. */
function findTarget(stages: Stage[], target: string | undefined): number {
  if (target === undefined || target === '') return stages.length - 1;
  const at = stages.findIndex((s) => s.name === target.toLowerCase());
  if (at < 0) throw new SkiffError('EBUILD', `the target "${target}" was not found in the provided Dockerfile`);
  return at;
}

/** An earlier stage a FROM or COPY --from names (by name or index), or undefined for an image. */
function stageIndex(stages: Stage[], ref: string, before: number): number | undefined {
  const lower = ref.toLowerCase();
  const byName = stages.findIndex((s, i) => i < before && s.name === lower);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(ref) && Number(ref) < before) return Number(ref);
  return undefined;
}

/** The stages stage `target` depends on (FROM and COPY --from), in file order, itself last. */
export function neededStages(stages: Stage[], target: number): number[] {
  const need = new Set<number>();
  const visit = (i: number) => {
    if (need.has(i)) return;
    need.add(i);
    const refs = [stages[i].from.image, ...stages[i].instructions.filter((x): x is CopyInstruction => x.kind === 'COPY' && !!x.from).map((x) => x.from!)];
    for (const ref of refs) {
      const dep = stageIndex(stages, ref, i);
      if (dep !== undefined) visit(dep);
    }
  };
  visit(target);
  return [...need].sort((a, b) => a - b);
}

function resolveStageRef(stages: Stage[], built: Map<number, string>, ref: string): string | undefined {
  const lower = ref.toLowerCase();
  for (const [i, id] of built) if (stages[i].name === lower || String(i) === ref) return id;
  return undefined;
}

interface StageRun {
  final: boolean;
  prefix: string;
  stageImage: (ref: string) => string | undefined;
  consumed: Set<string>;
  made: string[];
}

async function buildStage(backend: BuildBackend, options: ExecuteOptions, stage: Stage, run: StageRun): Promise<string> {
  const total = stage.instructions.length + 1;
  const print = (line: string) => !options.quiet && options.stdout.write(line + '\n');
  print(`${run.prefix}STEP 1/${total}: ${stage.from.original}`);
  const state = await fromStage(backend, options, stage, run);
  const useCache = options.layers && !options.noCache;
  const steps = stage.instructions.length ? stage.instructions : [];
  for (let i = 0; i < steps.length; i++) {
    const instruction = steps[i];
    const last = i === steps.length - 1;
    print(`${run.prefix}STEP ${i + 2}/${total}: ${instruction.original}`);
    const labels = run.final && last ? options.labels : {};
    const id = await runStep(backend, options, state, instruction, { useCache, labels, print, consumed: run.consumed, made: run.made, stageImage: run.stageImage })
      .catch((err: unknown) => {
        // podman names the step of any failure: `building at STEP "COPY x ./": ...`.
        if (err instanceof SkiffError && !(err instanceof BuildStepError) && !err.message.startsWith('building at STEP')) {
          throw new SkiffError(err.code, `building at STEP "${instruction.original}": ${err.message}`, { hint: err.hint, cause: err });
        }
        throw err;
      });
    state.id = id;
    state.parentName = id.slice(0, 12);
    if (run.final && last) break;
    print(`--> ${id.slice(0, 11)}`);
  }
  if (steps.length === 0) {
    // FROM alone: podman still commits an image of its own.
    const id = await metadataStep(backend, options, state, 'FROM', nopCreatedBy(stage.from.original), (image) => addLabels(image, run.final ? options.labels : {}), useCache, print, run.made);
    state.id = id;
  }
  if (run.final) {
    print(`${run.prefix}COMMIT${options.commitName ? ` ${options.commitName}` : ''}`);
    print(`--> ${state.id!.slice(0, 11)}`);
  }
  return state.id!;
}

async function fromStage(backend: BuildBackend, options: ExecuteOptions, stage: Stage, run: StageRun): Promise<StageState> {
  const ref = stage.from.image;
  const shellOf = (image: BuildImageConfig) => image.config?.Shell ?? [...DEFAULT_SHELL];
  const fromStageId = run.stageImage(ref);
  if (ref === 'scratch') {
    const image: BuildImageConfig = { architecture: goArch(), os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
    return { image, parentName: 'scratch', args: {}, shell: [...DEFAULT_SHELL], cmdSet: false };
  }
  const base = fromStageId !== undefined
    ? { id: fromStageId, config: await configOf(backend, fromStageId) }
    : await backend.baseImage(ref, options.pull).catch((err: unknown) => {
      // podman's wording for a FROM image it cannot get.
      if (err instanceof SkiffError) throw new SkiffError(err.code, `creating build container: ${err.message}`, { hint: err.hint, cause: err });
      throw err;
    });
  const image = base.config as BuildImageConfig;
  return { id: base.id, image, parentName: fromStageId ? fromStageId.slice(0, 12) : fullName(ref), args: {}, shell: shellOf(image), cmdSet: false };
}

async function configOf(backend: BuildBackend, id: string): Promise<BuildImageConfig> {
  return (await backend.image(id)).config as BuildImageConfig;
}

/** `bb` as buildah names it in the first history comment: localhost/bb:latest. */
function fullName(ref: string): string {
  if (/^[0-9a-f]{12,64}$/.test(ref)) return ref;
  const withTag = /:[^/]+$/.test(ref) || ref.includes('@') ? ref : `${ref}:latest`;
  return withTag.includes('/') && /[.:]|^localhost/.test(withTag.split('/')[0]) ? withTag : `localhost/${withTag}`;
}

function goArch(): string {
  const a = process.arch;
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[a] ?? a;
}

function addLabels(image: BuildImageConfig, labels: Record<string, string>): BuildImageConfig {
  if (!Object.keys(labels).length) return image;
  return { ...image, config: { ...image.config, Labels: { ...(image.config?.Labels ?? {}), ...labels } } };
}

interface StepRun {
  useCache: boolean;
  labels: Record<string, string>;
  print: (line: string) => void;
  consumed: Set<string>;
  made: string[];
  stageImage: (ref: string) => string | undefined;
}

/** The variables a step's words expand with: the declared ARGs, then the ENV (which wins). */
function varsOf(state: StageState): Record<string, string | undefined> {
  return { ...state.args, ...envRecord(state.image.config?.Env) };
}

/** The ARGs with values that are not shadowed by ENV: a RUN's build args. */
function runArgs(state: StageState): Record<string, string> {
  const env = envRecord(state.image.config?.Env);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(state.args)) if (v !== undefined && !(k in env)) out[k] = v;
  return out;
}

async function runStep(backend: BuildBackend, options: ExecuteOptions, state: StageState, instruction: Instruction, step: StepRun): Promise<string> {
  const escape = options.file.directives.escape;
  const word = (w: string) => expandWord(w, varsOf(state), { escape });
  const meta = (apply: (image: BuildImageConfig) => BuildImageConfig, createdBy = nopCreatedBy(instruction.original)) =>
    metadataStep(backend, options, state, instruction.original, createdBy, (image) => addLabels(apply(image), step.labels), step.useCache, step.print, step.made);
  const config = () => ({ ...(state.image.config ?? {}) });
  switch (instruction.kind) {
    case 'ENV':
      return meta((image) => {
        let env = image.config?.Env ?? [];
        for (const pair of instruction.pairs) env = setEnv(env, pair.key, expandWord(pair.value, { ...state.args, ...envRecord(env) }, { escape }));
        return { ...image, config: { ...config(), Env: env } };
      });
    case 'LABEL':
      return meta((image) => {
        const labels = { ...(image.config?.Labels ?? {}) };
        for (const pair of instruction.pairs) labels[word(pair.key)] = word(pair.value);
        return { ...image, config: { ...config(), Labels: labels } };
      });
    case 'ARG': {
      for (const arg of instruction.args) {
        step.consumed.add(arg.key);
        const given = options.buildArgs[arg.key];
        state.args[arg.key] = given ?? (arg.value !== undefined ? word(arg.value) : options.file.globalArgValues[arg.key]);
      }
      return meta((image) => image, nopCreatedBy(`ARG ${instruction.args.map((a) => a.key).join(' ')}`));
    }
    case 'WORKDIR':
      return meta((image) => ({ ...image, config: { ...config(), WorkingDir: posix.resolve(image.config?.WorkingDir || '/', word(instruction.path)) } }));
    case 'USER':
      return meta((image) => ({ ...image, config: { ...config(), User: word(instruction.user) } }));
    case 'EXPOSE':
      return meta((image) => {
        const ports = { ...(image.config?.ExposedPorts ?? {}) };
        for (const raw of instruction.ports) for (const port of expandWords(raw, varsOf(state), { escape })) ports[exposedPortKey(port)] = {};
        return { ...image, config: { ...config(), ExposedPorts: ports } };
      });
    case 'VOLUME':
      return meta((image) => {
        const volumes = { ...(image.config?.Volumes ?? {}) };
        for (const path of instruction.paths) volumes[word(path)] = {};
        return { ...image, config: { ...config(), Volumes: volumes } };
      });
    case 'ENTRYPOINT':
      return meta((image) => {
        const next = { ...config(), Entrypoint: commandArgv(instruction.cmd, state.shell) };
        // docker: an ENTRYPOINT resets a CMD inherited from the base image.
        if (!state.cmdSet) delete next.Cmd;
        return { ...image, config: next };
      });
    case 'CMD':
      state.cmdSet = true;
      return meta((image) => ({ ...image, config: { ...config(), Cmd: commandArgv(instruction.cmd, state.shell) } }));
    case 'SHELL':
      state.shell = [...instruction.shell];
      return meta((image) => ({ ...image, config: { ...config(), Shell: [...instruction.shell] } }));
    case 'STOPSIGNAL':
      return meta((image) => ({ ...image, config: { ...config(), StopSignal: word(instruction.signal) } }));
    case 'HEALTHCHECK':
      return meta((image) => {
        const test = instruction.none || !instruction.cmd ? ['NONE'] : instruction.cmd.form === 'exec' ? ['CMD', ...instruction.cmd.args] : ['CMD-SHELL', instruction.cmd.command];
        const hc = {
          Test: test,
          ...(instruction.interval !== undefined ? { Interval: instruction.interval } : {}),
          ...(instruction.timeout !== undefined ? { Timeout: instruction.timeout } : {}),
          ...(instruction.startPeriod !== undefined ? { StartPeriod: instruction.startPeriod } : {}),
          ...(instruction.retries !== undefined ? { Retries: instruction.retries } : {}),
        };
        return { ...image, config: { ...config(), Healthcheck: hc } };
      });
    case 'ONBUILD':
      return meta((image) => ({ ...image, config: { ...config(), OnBuild: [...(image.config?.OnBuild ?? []), instruction.expression] } }));
    case 'MAINTAINER':
      return meta((image) => ({ ...image, author: instruction.maintainer }));
    case 'RUN':
      return runInstruction(backend, options, state, instruction, step);
    case 'COPY':
    case 'ADD':
      return copyInstruction(backend, options, state, instruction, step);
  }
}

/** Hex sha256 of the parts, as a cache key. */
function keyOf(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** A cache hit for `key` on the current image: prints podman's line and moves the stage on. */
async function fromCache(backend: BuildBackend, state: StageState, key: string, step: Pick<StepRun, 'useCache' | 'print'>): Promise<string | undefined> {
  if (!step.useCache) return undefined;
  const hit = await backend.findCached(state.id, key);
  if (!hit) return undefined;
  step.print(`--> Using cache ${hit.id}`);
  state.image = hit.config as BuildImageConfig;
  return hit.id;
}

/** A step that changes only the config: an image with the same layers and an empty_layer history entry. */
async function metadataStep(
  backend: BuildBackend, options: ExecuteOptions, state: StageState, _original: string, createdBy: string,
  apply: (image: BuildImageConfig) => BuildImageConfig, useCache: boolean, print: (line: string) => void, made: string[],
): Promise<string> {
  const next = apply(state.image);
  const key = keyOf('meta', createdBy, next.config ?? {}, next.author ?? '', options.format);
  const cached = await fromCache(backend, state, key, { useCache, print });
  if (cached) return cached;
  state.image = withStep(next, { createdBy, comment: `FROM ${state.parentName}` }, new Date().toISOString());
  const id = await writeStep(backend, options, state, undefined, key);
  made.push(id);
  return id;
}

/** Writes the stage's current config as the step's image, in the build's format. */
async function writeStep(backend: BuildBackend, options: ExecuteOptions, state: StageState, layer: Parameters<BuildBackend['writeImage']>[1], key: string): Promise<string> {
  const { image, dropped } = forFormat(state.image, options.format);
  for (const what of dropped) options.warn(`${what} is not supported for OCI image format and will be ignored. Must use \`docker\` format`);
  return backend.writeImage(state.id, layer, image as Parameters<BuildBackend['writeImage']>[2], { cacheKey: options.layers ? key : undefined, format: options.format });
}

async function runInstruction(backend: BuildBackend, options: ExecuteOptions, state: StageState, instruction: Extract<Instruction, { kind: 'RUN' }>, step: StepRun): Promise<string> {
  if (!state.id) throw new SkiffError('EBUILD', `building at STEP "${instruction.original}": cannot run a command in an empty (scratch) image`);
  // Heredocs as BuildKit runs them (podman 4.3 has none); one that is a #! script would need its file put in the image first.
  const plan = runPlan(instruction, state.shell);
  if (plan.script) throw new SkiffError('EBUILD', `building at STEP "${instruction.original.split('\n')[0]}": a heredoc run as a #! script is not supported yet; start it with a shell command instead`);
  const argv = plan.argv;
  const args = runArgs(state);
  const createdBy = runCreatedBy(argv, args);
  const network = instruction.network ?? options.network;
  const labelled = addLabels(state.image, step.labels);
  const key = keyOf('run', createdBy, network, labelled.config?.Labels ?? {}, options.format);
  const cached = await fromCache(backend, state, key, step);
  if (cached) return cached;
  const result = await backend.run(state.id, {
    argv,
    env: Object.entries(args).map(([k, v]) => `${k}=${v}`),
    network,
    stdout: options.stdout,
    stderr: options.stderr,
  });
  if (result.exitCode !== 0 || !result.layer) {
    throw new BuildStepError(`building at STEP "${instruction.original}": while running runtime: exit status ${result.exitCode}`, result.exitCode);
  }
  state.image = withStep(labelled, { createdBy, comment: `FROM ${state.parentName}`, diffId: result.layer.diffId }, new Date().toISOString());
  const id = await writeStep(backend, options, state, result.layer, key);
  step.made.push(id);
  return id;
}

async function copyInstruction(backend: BuildBackend, options: ExecuteOptions, state: StageState, instruction: CopyInstruction, step: StepRun): Promise<string> {
  const { resolveCopySources } = await import('../context/sources.js');
  const { writeCopyLayer, hashCopySources } = await import('../context/copy-layer.js');
  const escape = options.file.directives.escape;
  const word = (w: string) => expandWord(w, varsOf(state), { escape });
  const sources = instruction.sources.map(word);
  const dest = word(instruction.dest);
  const workdir = state.image.config?.WorkingDir || '/';
  const chown = instruction.chown ? await resolveChown(backend, state, word(instruction.chown)) : undefined;
  const chmod = instruction.chmod ? parseChmod(word(instruction.chmod)) : undefined;

  const copyFrom = async <T>(use: (root: string, ignore?: (rel: string) => boolean) => Promise<T>): Promise<T> => {
    if (!instruction.from) return use(options.context.root, options.context.ignore);
    // COPY --from names an earlier stage or an image.
    const from = word(instruction.from);
    const id = step.stageImage(from) ?? (await backend.baseImage(from, options.pull)).id;
    return backend.withImageRoot(id, (root) => use(root));
  };

  const destAbs = posix.resolve('/', workdir, dest);
  const types = new Map<string, 'dir' | 'file' | undefined>();
  if (state.id) {
    for (let p = destAbs; ; p = posix.dirname(p)) {
      const t = await backend.pathType(state.id, p);
      types.set(p, t === 'directory' ? 'dir' : t === undefined ? undefined : 'file');
      if (p === '/') break;
    }
  }
  const labelled = addLabels(state.image, step.labels);
  const add = instruction.kind === 'ADD';
  // COPY --from keeps the owners the stage's files have, as buildah's PreserveOwnership.
  const preserve = instruction.from ? { owners: (uid: number, gid: number) => ({ uid, gid }) } : undefined;
  const layerOptions = { workdir, chown, chmod, destExists: (p: string) => types.get(p), ...(preserve ? { preserve } : {}) };
  return copyFrom(async (root, ignore) => {
    const { isAddUrl, downloadAddSource, writeAddLayer, hashAddSources } = await import('../context/add-layer.js');
    const downloads: Array<Awaited<ReturnType<typeof downloadAddSource>>> = [];
    try {
      // ADD: an http(s) URL is downloaded first (in order with the local sources); a local tar is extracted.
      const found: Array<Awaited<ReturnType<typeof resolveCopySources>>[number] | (typeof downloads)[number]> = [];
      for (const source of sources) {
        if (add && isAddUrl(source)) {
          const downloaded = await downloadAddSource(source, { tmpDir: options.tmpDir });
          downloads.push(downloaded);
          found.push(downloaded);
        } else found.push(...(await resolveCopySources(root, [source], { ignore })));
      }
      const local = found.filter((f): f is Awaited<ReturnType<typeof resolveCopySources>>[number] => !('url' in f));
      const digest = add ? await hashAddSources(found, { chown, chmod }) : await hashCopySources(local, { chown, chmod, ...(preserve ? { preserve } : {}) });
      const kind = found.length > 1 ? 'multi' : 'type' in found[0] && found[0].type === 'directory' ? 'dir' : 'file';
      const createdBy = nopCreatedBy(`${instruction.kind} ${kind}:${digest.replace(/^sha256:/, '')} in ${dest} `);
      const key = keyOf('copy', createdBy, workdir, instruction.from ?? '', labelled.config?.Labels ?? {}, options.format);
      const cached = await fromCache(backend, state, key, step);
      if (cached) return cached;
      const layer = await backend.addLayer(state.id, (out) => (add ? writeAddLayer(found, dest, out, layerOptions) : writeCopyLayer(local, dest, out, layerOptions)));
      state.image = withStep(labelled, { createdBy, comment: `FROM ${state.parentName}`, diffId: layer.diffId }, new Date().toISOString());
      const id = await writeStep(backend, options, state, layer, key);
      step.made.push(id);
      return id;
    } finally {
      await Promise.all(downloads.map((d) => d.close()));
    }
  });
}

/** COPY --chmod's octal mode. */
function parseChmod(value: string): number {
  if (!/^[0-7]{3,4}$/.test(value)) throw new SkiffError('EBUILD', `invalid --chmod value "${value}": an octal mode is needed`);
  return parseInt(value, 8);
}

/**
 * COPY --chown USER[:GROUP]: names looked up in the image's /etc/passwd and
 * /etc/group as buildah does; a numeric id is taken as it is, and a user
 * alone gives its primary group (or the same number).
 */
async function resolveChown(backend: BuildBackend, state: StageState, spec: string): Promise<{ uid: number; gid: number }> {
  const [user, group] = spec.split(':', 2);
  const table = async (file: string) =>
    ((state.id ? await backend.readImageFile(state.id, file) : undefined)?.toString('utf8') ?? '').split('\n').map((l) => l.split(':')).filter((f) => f.length >= 3);
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(user)) uid = Number(user);
  else {
    const entry = (await table('etc/passwd')).find((f) => f[0] === user);
    if (!entry) throw new SkiffError('EBUILD', `looking up UID for user "${user}": no such user in /etc/passwd`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (group !== undefined && group !== '') {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const entry = (await table('etc/group')).find((f) => f[0] === group);
      if (!entry) throw new SkiffError('EBUILD', `looking up GID for group "${group}": no such group in /etc/group`);
      gid = Number(entry[2]);
    }
  }
  return { uid, gid: gid ?? uid };
}
