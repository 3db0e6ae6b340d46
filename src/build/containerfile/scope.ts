/**
 * What the builder needs at execution time: the expansion of an instruction
 * with the stage's variables, the value an ARG takes, and the predefined
 * platform and proxy args.
 */
import type { ArgDeclaration, Containerfile, Instruction } from './ast.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { type Vars, expandHeredoc, expandWord, expandWords } from './expand.js';
import { parseRunMount } from './run-mount.js';
import { RunMountError } from './errors.js';

/** Options shared by the execution-time helpers. */
export interface ScopeOptions {
  /** The file's escape character (`Containerfile.directives.escape`). */
  escape?: string;
}

/**
 * Returns a copy of `instruction` with the words docker expands replaced by
 * their values in `vars` (the stage's ENV over its declared ARGs), quotes
 * removed:
 * - ENV, LABEL, ARG: keys and values (for the value an ARG takes, use `argValue`);
 * - COPY, ADD: sources, destination, --from, --chown, --chmod, and the bodies
 *   of heredocs whose delimiter is unquoted;
 * - RUN: the values of --mount (not the command);
 * - WORKDIR, USER, STOPSIGNAL: the argument; VOLUME: each path;
 * - EXPOSE: each word, which may expand to several ports.
 * RUN's command, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER and ONBUILD are
 * returned unchanged: their shell does the expansion, or the child build.
 * Throws ExpansionError on an unterminated quote or a bad `${...}`, and
 * RunMountError for a --mount value that is invalid once expanded.
 */
export function expandInstruction<T extends Instruction>(instruction: T, vars: Vars, options: ScopeOptions = {}): T {
  const o = { escape: options.escape ?? '\\' };
  const w = (s: string): string => expandWord(s, vars, o);
  const i = instruction as Instruction;
  switch (i.kind) {
    case 'ENV':
    case 'LABEL':
      return { ...i, pairs: i.pairs.map((p) => ({ key: w(p.key), value: w(p.value) })) } as T;
    case 'ARG':
      return {
        ...i,
        args: i.args.map((a) => (a.value === undefined ? { key: w(a.key) } : { key: w(a.key), value: w(a.value) })),
      } as T;
    case 'COPY':
    case 'ADD': {
      const heredocNames = new Set(i.heredocs.map((h) => `<<${h.name}`));
      const out = {
        ...i,
        sources: i.sources.map((s) => (heredocNames.has(s) ? s : w(s))),
        dest: w(i.dest),
        heredocs: i.heredocs.map((h) => (h.expand ? { ...h, content: expandHeredoc(h.content, vars, o) } : h)),
      };
      if (i.from !== undefined) out.from = w(i.from);
      if (i.chown !== undefined) out.chown = w(i.chown);
      if (i.chmod !== undefined) out.chmod = w(i.chmod);
      return out as T;
    }
    case 'RUN':
      // The command itself is the shell's to expand; the --mount values are docker's.
      if (i.mounts.length === 0) return instruction;
      return {
        ...i,
        mounts: i.mounts.map((m) => {
          try {
            const mount = parseRunMount(m.raw, w);
            if (m.fromStage !== undefined) mount.fromStage = m.fromStage;
            return mount;
          } catch (err) {
            if (err instanceof RunMountError) throw new RunMountError(`--mount=${m.raw}: ${err.message}`);
            throw err;
          }
        }),
      } as T;
    case 'WORKDIR':
      return { ...i, path: w(i.path) } as T;
    case 'USER':
      return { ...i, user: w(i.user) } as T;
    case 'STOPSIGNAL':
      return { ...i, signal: w(i.signal) } as T;
    case 'VOLUME':
      return { ...i, paths: i.paths.map(w) } as T;
    case 'EXPOSE':
      return { ...i, ports: i.ports.flatMap((p) => expandWords(p, vars, o)) } as T;
    default:
      return instruction;
  }
}

/** Where the values of ARGs come from. */
export interface ArgSources {
  /** `--build-arg` values. */
  buildArgs: Readonly<Record<string, string>>;
  /** `Containerfile.globalArgValues`: a stage's `ARG NAME` without a default takes the global value. */
  globalArgValues: Readonly<Record<string, string>>;
  /** `platformArgs()`: `ARG TARGETARCH` without a default takes the predefined value. */
  platformArgs: Readonly<Record<string, string>>;
}

/**
 * The value a stage's ARG declaration takes: the --build-arg, else its own
 * default (expanded with `vars`), else the global ARG's or the predefined
 * value of that name; undefined when it has none (docker leaves it unset).
 * Pass the declaration as parsed (not through `expandInstruction`), one name
 * at a time, adding each value to `vars` before the next: `ARG A=1 B=$A`
 * gives B the value 1.
 */
export function argValue(decl: ArgDeclaration, sources: ArgSources, vars: Vars, options: ScopeOptions = {}): string | undefined {
  const has = (r: Readonly<Record<string, string>>): boolean => Object.prototype.hasOwnProperty.call(r, decl.key);
  if (has(sources.buildArgs)) return sources.buildArgs[decl.key];
  if (decl.value !== undefined) return expandWord(decl.value, vars, { escape: options.escape ?? '\\' });
  if (has(sources.globalArgValues)) return sources.globalArgValues[decl.key];
  if (has(sources.platformArgs)) return sources.platformArgs[decl.key];
  return undefined;
}

/**
 * The proxy args docker predefines: usable in RUN through --build-arg without
 * an ARG line, and left out of the image's history.
 */
export const PROXY_ARGS: readonly string[] = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy',
  'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
];

/** An OCI platform. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const NODE_ARCH: Record<string, Platform> = {
  x64: { os: 'linux', architecture: 'amd64' },
  arm64: { os: 'linux', architecture: 'arm64' },
  arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
  ia32: { os: 'linux', architecture: '386' },
  ppc64: { os: 'linux', architecture: 'ppc64le' },
  s390x: { os: 'linux', architecture: 's390x' },
  riscv64: { os: 'linux', architecture: 'riscv64' },
  mips64el: { os: 'linux', architecture: 'mips64le' },
};

/** The OCI platform of a Node.js `process.arch` value (linux only). */
export function hostPlatform(nodeArch: string = process.arch): Platform {
  return NODE_ARCH[nodeArch] ?? { os: 'linux', architecture: nodeArch };
}

function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * The predefined platform args (TARGETPLATFORM, TARGETOS, TARGETARCH,
 * TARGETVARIANT, BUILDPLATFORM, BUILDOS, BUILDARCH, BUILDVARIANT) for a
 * build on `build` producing `target` (both the host by default). They are
 * visible in FROM lines, and in a stage once declared with `ARG NAME`.
 */
export function platformArgs(build: Platform = hostPlatform(), target: Platform = build): Record<string, string> {
  return {
    BUILDPLATFORM: platformString(build),
    BUILDOS: build.os,
    BUILDARCH: build.architecture,
    BUILDVARIANT: build.variant ?? '',
    TARGETPLATFORM: platformString(target),
    TARGETOS: target.os,
    TARGETARCH: target.architecture,
    TARGETVARIANT: target.variant ?? '',
  };
}

/**
 * The stages a build of `target` (a stage name; the last stage when omitted)
 * needs: the target and, transitively, the stages it reads, ascending.
 * Throws InvalidArgumentError, with podman's message, for an unknown target.
 */
export function stagesToBuild(cf: Containerfile, target?: string): { target: number; stages: number[] } {
  let index = cf.stages.length - 1;
  if (target !== undefined) {
    const stage = cf.stages.find((s) => s.name === target.toLowerCase());
    if (stage === undefined) throw new InvalidArgumentError(`The target "${target}" was not found in the provided Dockerfile`);
    index = stage.index;
  }
  const needed = new Set<number>();
  const visit = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const dep of cf.stages[i]!.dependsOn) visit(dep);
  };
  visit(index);
  return { target: index, stages: [...needed].sort((a, b) => a - b) };
}

/**
 * The --build-arg names no ARG of the given stages (all by default) nor of
 * the global scope declares, sorted, for podman's warning
 * `[Warning] one or more build args were not consumed: [A B]`. The proxy args
 * never count as unused.
 */
export function unusedBuildArgs(cf: Containerfile, buildArgs: Readonly<Record<string, string>>, stages?: readonly number[]): string[] {
  const declared = new Set<string>(PROXY_ARGS);
  const scopes = [cf.globalArgs, ...(stages ?? cf.stages.map((s) => s.index)).map((i) => cf.stages[i]!.instructions)];
  for (const list of scopes) {
    for (const instruction of list) {
      if (instruction.kind === 'ARG') for (const a of instruction.args) declared.add(a.key);
    }
  }
  return Object.keys(buildArgs)
    .filter((k) => !declared.has(k))
    .sort();
}
