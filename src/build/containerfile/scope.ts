/**
 * What the builder needs at execution time: the expansion of an instruction
 * with the stage's variables, the value an ARG takes, and the predefined
 * platform and proxy args.
 */
import type { ArgDeclaration, Instruction } from './ast.js';
import { type Vars, expandHeredoc, expandWord, expandWords } from './expand.js';
import { parseRunMount } from './run-mount.js';
import { ExpansionError } from './errors.js';

/** Options shared by the execution-time helpers. */
export interface ScopeOptions {
  /** The file's escape character (`Containerfile.directives.escape`). */
  escape?: string;
}

/**
 * Returns a copy of `instruction` with the words docker expands replaced by
 * their values in `vars` (the stage's ENV over its declared ARGs), quotes
 * removed:
 * - ENV, LABEL, ARG: keys and values;
 * - COPY, ADD: sources, destination, --from, --chown, --chmod, and the bodies
 *   of heredocs whose delimiter is unquoted;
 * - RUN: the values of --mount (not the command);
 * - WORKDIR, USER, STOPSIGNAL: the argument; VOLUME: each path;
 * - EXPOSE: each word, which may expand to several ports.
 * RUN's command, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER and ONBUILD are
 * returned unchanged: their shell does the expansion, or the child build.
 * Throws ExpansionError on an unterminated quote, a bad `${...}`, or a
 * --mount value that is invalid once expanded.
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
            return parseRunMount(m.raw, w);
          } catch (err) {
            if (err instanceof ExpansionError) throw err;
            throw new ExpansionError(`--mount=${m.raw}: ${(err as Error).message}`);
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
