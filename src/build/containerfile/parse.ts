/**
 * `parseContainerfile`: Containerfile text → typed tree, a pure step (no I/O).
 * It follows docker's (BuildKit's) Dockerfile frontend and podman's messages:
 * a malformed file throws a ContainerfileError (`FILE:LINE: message`) before
 * anything runs.
 *
 * The folder, in the order a build uses it:
 * - ast.ts: the tree (Containerfile → Stage → Instruction by `kind`);
 * - parse.ts (here): text → tree; lines.ts (directives, continuations,
 *   heredocs), flags.ts, run-mount.ts, json-form.ts, duration.ts help it;
 * - scope.ts: at execution time, `expandInstruction` with the stage's
 *   variables, `argValue` for ARG scoping, `platformArgs`, `stagesToBuild`,
 *   `unusedBuildArgs`; expand.ts holds docker's word rules;
 * - command.ts: the argv of RUN/CMD/ENTRYPOINT under SHELL, heredocs included.
 */
import type {
  ArgDeclaration,
  ArgInstruction,
  CommandLine,
  Containerfile,
  CopyInstruction,
  Directives,
  FromInstruction,
  HealthcheckInstruction,
  Heredoc,
  Instruction,
  InstructionKind,
  KeyValue,
  RunInstruction,
  Stage,
} from './ast.js';
import { ContainerfileError, ExpansionError, RunMountError } from './errors.js';
import { expandWord, splitRawWords } from './expand.js';
import { type FlagSpec, type FlagValues, extractFlags, parseFlags } from './flags.js';
import { readDirectives, readLogicalLines } from './lines.js';
import { parseRunMount } from './run-mount.js';
import { jsonArray } from './json-form.js';
import { parseGoDuration } from './duration.js';
import { platformArgs } from './scope.js';

export interface ParseOptions {
  /** The file name used in messages (as the user gave it, e.g. `Containerfile`). */
  file: string;
  /** `--build-arg` values; they override the defaults of declared ARGs. */
  buildArgs?: Record<string, string>;
  /** Values of the predefined platform args, visible in FROM lines; `platformArgs()` (the host) by default. */
  platformArgs?: Record<string, string>;
}

const KINDS = new Set<string>([
  'FROM', 'RUN', 'COPY', 'ADD', 'ENV', 'ARG', 'LABEL', 'WORKDIR', 'USER', 'EXPOSE', 'VOLUME',
  'ENTRYPOINT', 'CMD', 'SHELL', 'HEALTHCHECK', 'STOPSIGNAL', 'ONBUILD', 'MAINTAINER',
]);

const FLAGS: Record<string, FlagSpec> = {
  FROM: { platform: 'string' },
  RUN: { mount: 'strings', network: 'string', security: 'string' },
  COPY: { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'strings' },
  ADD: { chown: 'string', chmod: 'string', link: 'bool', checksum: 'string', 'keep-git-dir': 'bool', exclude: 'strings' },
  HEALTHCHECK: {
    interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string',
  },
};

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** What one instruction line is, before its kind-specific parsing. */
interface Line {
  keyword: string;
  flags: FlagValues;
  /** The arguments after the flags, leading blanks removed. */
  args: string;
  original: string;
  line: number;
  endLine: number;
  heredocs: Heredoc[];
}

/**
 * Parses a Containerfile. The global ARGs (before the first FROM) are resolved
 * with `buildArgs` and used to expand each FROM's image and `--platform`; all
 * other words stay raw for `expandInstruction` at execution time.
 *
 * Throws ContainerfileError for: an empty file, a file without FROM, an
 * unknown instruction, an instruction (other than ARG) before FROM, missing
 * or malformed arguments, unknown or malformed flags, an unterminated
 * heredoc, a bad stage name, a duplicate stage name, a bad `--mount`, and a
 * FROM, `COPY --from` or `--mount from=` naming the current or a later stage.
 */
export function parseContainerfile(text: string, options: ParseOptions): Containerfile {
  const file = options.file;
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  if (text.trim() === '') throw new ContainerfileError(file, 0, 'no contents in the file');
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const { directives } = readDirectives(lines, file);
  const { logical } = readLogicalLines(lines, directives.escape, file);

  const result: Containerfile = { directives, globalArgs: [], globalArgValues: {}, stages: [], warnings: [] };
  const buildArgs = options.buildArgs ?? {};
  const fromVars: Record<string, string> = { ...(options.platformArgs ?? platformArgs()) };
  let stage: Stage | undefined;
  for (const l of logical) {
    if (l.emptyContinuation) {
      result.warnings.push(`${file}:${l.startLine}: empty continuation line found in: ${l.text}`);
    }
    const line = splitLine(l.text, l.startLine, l.endLine, l.heredocs, file);
    if (line.keyword === 'FROM') {
      const from = parseFrom(line, file, fromVars, directives);
      const name = fromName(line, file, result.stages);
      stage = { index: result.stages.length, from, instructions: [], dependsOn: [] };
      if (name !== undefined) stage.name = name;
      result.stages.push(stage);
      continue;
    }
    const instruction = parseInstruction(line, file, directives);
    if (stage === undefined) {
      if (instruction.kind !== 'ARG') {
        throw new ContainerfileError(file, line.line, `${line.keyword} is not allowed before the first FROM (only ARG is)`);
      }
      result.globalArgs.push(instruction);
      for (const arg of instruction.args) {
        const value = Object.prototype.hasOwnProperty.call(buildArgs, arg.key)
          ? buildArgs[arg.key]!
          : arg.value !== undefined
            ? expandAt(arg.value, fromVars, file, line.line, directives)
            : undefined;
        if (value !== undefined) {
          fromVars[arg.key] = value;
          result.globalArgValues[arg.key] = value;
        }
      }
      continue;
    }
    stage.instructions.push(instruction);
  }
  if (result.stages.length === 0) throw new ContainerfileError(file, 0, 'no stages to build: the file has no FROM instruction');
  resolveStageRefs(result, file, fromVars, directives);
  return result;
}

function splitLine(text: string, line: number, endLine: number, heredocs: Heredoc[], file: string): Line {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text.trim());
  const keyword = m![1]!.toUpperCase();
  if (!KINDS.has(keyword)) {
    throw new ContainerfileError(file, line, `unknown instruction: "${m![1]!.toUpperCase()}"`);
  }
  const { flags: words, rest } = extractFlags(m![2]!);
  const parsed = parseFlags(words, FLAGS[keyword] ?? {});
  if ('error' in parsed) {
    const allowed = Object.keys(FLAGS[keyword] ?? {});
    throw new ContainerfileError(file, line, `${keyword}: ${parsed.error}`, {
      hint: allowed.length ? `${keyword} accepts ${allowed.map((f) => `--${f}`).join(', ')}` : `${keyword} takes no flags`,
    });
  }
  // podman prints the line with its trailing blanks (STEP n/m: and the history's created_by).
  return { keyword, flags: parsed.values, args: rest.trim(), original: text.replace(/^\s+/, ''), line, endLine, heredocs };
}

function expandAt(word: string, vars: Record<string, string>, file: string, line: number, d: Directives): string {
  try {
    return expandWord(word, vars, { escape: d.escape });
  } catch (err) {
    if (err instanceof ExpansionError) throw new ContainerfileError(file, line, err.message, { cause: err });
    throw err;
  }
}

function parseFrom(line: Line, file: string, vars: Record<string, string>, d: Directives): FromInstruction {
  const words = line.args.split(/\s+/).filter(Boolean);
  if (!(words.length === 1 || (words.length === 3 && words[1]!.toLowerCase() === 'as'))) {
    throw new ContainerfileError(file, line.line, 'FROM requires either one argument, or three: FROM <source> [as <name>]');
  }
  const image = expandAt(words[0]!, vars, file, line.line, d);
  if (image === '') {
    throw new ContainerfileError(file, line.line, `base name (${words[0]}) should not be blank`, {
      hint: 'give the ARG a default or pass --build-arg',
    });
  }
  const from: FromInstruction = { kind: 'FROM', line: line.line, endLine: line.endLine, original: line.original, image, rawImage: words[0]! };
  if (typeof line.flags.platform === 'string') {
    from.platform = expandAt(line.flags.platform, vars, file, line.line, d);
  }
  return from;
}

function fromName(line: Line, file: string, stages: Stage[]): string | undefined {
  const words = line.args.split(/\s+/).filter(Boolean);
  if (words.length !== 3) return undefined;
  const name = words[2]!.toLowerCase();
  if (!STAGE_NAME.test(name)) {
    throw new ContainerfileError(
      file,
      line.line,
      `invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`,
    );
  }
  if (stages.some((s) => s.name === name)) {
    throw new ContainerfileError(file, line.line, `duplicate name "${name}" for build stage`);
  }
  return name;
}

/**
 * Resolves the references between stages: a FROM naming an earlier stage
 * (`from.stage`), COPY --from (`fromStage`, after expansion of the global
 * ARGs) and RUN --mount=from= (`fromStage`) naming a stage by name or index,
 * and fills each stage's `dependsOn`. A reference to the current or a later
 * stage is an error: stages are built from earlier ones. Any other value
 * names an image.
 */
function resolveStageRefs(cf: Containerfile, file: string, vars: Record<string, string>, d: Directives): void {
  for (const stage of cf.stages) {
    const deps = new Set<number>();
    const refer = (ref: string, line: number, what: string, byIndex: boolean): number | undefined => {
      const numeric = byIndex && /^[0-9]+$/.test(ref);
      const target = numeric ? cf.stages[Number(ref)] : cf.stages.find((s) => s.name === ref.toLowerCase());
      if (target === undefined && numeric) throw new ContainerfileError(file, line, `invalid ${what} value ${ref}: index out of bounds`);
      if (target === undefined) return undefined;
      if (target.index === stage.index) {
        throw new ContainerfileError(file, line, `invalid ${what} value ${ref}: refers to current build stage`);
      }
      if (target.index > stage.index) {
        throw new ContainerfileError(file, line, `invalid ${what} value ${ref}: stage ${target.name ?? target.index} is defined after this one`, {
          hint: 'a stage can use only the stages before it',
        });
      }
      deps.add(target.index);
      return target.index;
    };
    const base = refer(stage.from.image, stage.from.line, 'FROM', false);
    if (base !== undefined) stage.from.stage = base;
    for (const instruction of stage.instructions) {
      if (instruction.kind === 'COPY' && instruction.from !== undefined) {
        const from = expandAt(instruction.from, vars, file, instruction.line, d);
        const index = refer(from, instruction.line, 'from flag', true);
        if (index !== undefined) instruction.fromStage = index;
      } else if (instruction.kind === 'RUN') {
        for (const mount of instruction.mounts) {
          if (mount.from === undefined) continue;
          const index = refer(mount.from, instruction.line, '--mount from', true);
          if (index !== undefined) mount.fromStage = index;
        }
      }
    }
    stage.dependsOn = [...deps].sort((x, y) => x - y);
  }
}

/** Parses one non-FROM instruction line. */
function parseInstruction(line: Line, file: string, d: Directives): Instruction {
  const fail = (reason: string, hint?: string): never => {
    throw new ContainerfileError(file, line.line, reason, hint ? { hint } : {});
  };
  const base = { line: line.line, endLine: line.endLine, original: line.original };
  const args = line.args;
  const kind = line.keyword as InstructionKind;
  switch (kind) {
    case 'RUN': {
      const cmd = commandLine(args);
      if (cmd === undefined) fail('RUN requires at least one argument');
      const run: RunInstruction = { kind, ...base, cmd: cmd!, mounts: [], heredocs: line.heredocs };
      for (const raw of (line.flags.mount as string[] | undefined) ?? []) {
        try {
          run.mounts.push(parseRunMount(raw));
        } catch (err) {
          if (!(err instanceof RunMountError)) throw err;
          fail(`RUN --mount=${raw}: ${err.message}`);
        }
      }
      if (typeof line.flags.network === 'string') {
        if (!['default', 'none', 'host'].includes(line.flags.network)) {
          fail(`unsupported network mode "${line.flags.network}"`, 'RUN --network takes default, none or host');
        }
        run.network = line.flags.network;
      }
      if (typeof line.flags.security === 'string') {
        if (!['insecure', 'sandbox'].includes(line.flags.security)) {
          fail(`unsupported security mode "${line.flags.security}"`, 'RUN --security takes sandbox or insecure');
        }
        run.security = line.flags.security;
      }
      return run;
    }
    case 'CMD':
    case 'ENTRYPOINT': {
      const cmd = commandLine(args);
      if (cmd === undefined) fail(`${kind} requires at least one argument`);
      return { kind, ...base, cmd: cmd! };
    }
    case 'SHELL': {
      const cmd = commandLine(args);
      if (cmd === undefined) fail('SHELL requires at least one argument');
      if (cmd!.form !== 'exec') fail('SHELL requires the arguments to be in JSON form', 'SHELL ["/bin/sh", "-c"]');
      if ((cmd as { args: string[] }).args.length === 0) fail('SHELL requires at least one argument');
      return { kind, ...base, shell: (cmd as { args: string[] }).args };
    }
    case 'COPY':
    case 'ADD':
      return parseCopy(kind, line, base, fail);
    case 'ENV':
    case 'LABEL': {
      if (args === '') fail(`${kind} requires at least one argument`);
      return { kind, ...base, pairs: keyValues(kind, args, d, fail) };
    }
    case 'ARG': {
      const words = splitRawWords(args, d.escape);
      if (words.length === 0) fail('ARG requires at least one argument');
      const decls: ArgDeclaration[] = words.map((w) => {
        const eq = w.indexOf('=');
        const key = eq >= 0 ? w.slice(0, eq) : w;
        if (key === '') fail(`ARG names can not be blank: "${w}"`);
        return eq >= 0 ? { key, value: w.slice(eq + 1) } : { key };
      });
      return { kind, ...base, args: decls } satisfies ArgInstruction;
    }
    case 'WORKDIR':
      if (args === '') fail('WORKDIR requires exactly one argument');
      return { kind, ...base, path: args };
    case 'USER':
      if (args === '') fail('USER requires exactly one argument');
      return { kind, ...base, user: args };
    case 'STOPSIGNAL':
      if (args === '') fail('STOPSIGNAL requires exactly one argument');
      return { kind, ...base, signal: args };
    case 'MAINTAINER':
      if (args === '') fail('MAINTAINER requires exactly one argument');
      return { kind, ...base, maintainer: args };
    case 'EXPOSE': {
      const ports = args.split(/\s+/).filter(Boolean);
      if (ports.length === 0) fail('EXPOSE requires at least one argument');
      return { kind, ...base, ports };
    }
    case 'VOLUME': {
      const json = jsonArray(args);
      const paths = json ?? args.split(/\s+/).filter(Boolean);
      if (paths.length === 0) fail('VOLUME requires at least one argument');
      if (paths.some((p) => p.trim() === '')) fail('VOLUME specified can not be an empty string');
      return { kind, ...base, paths, json: json !== undefined };
    }
    case 'HEALTHCHECK':
      return parseHealthcheck(line, base, fail);
    case 'ONBUILD': {
      if (args === '') fail('ONBUILD requires at least one argument');
      const inner = splitLine(args, line.line, line.endLine, line.heredocs, file);
      if (inner.keyword === 'ONBUILD') fail('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (inner.keyword === 'FROM' || inner.keyword === 'MAINTAINER') {
        fail(`${inner.keyword} isn't allowed as an ONBUILD trigger`);
      }
      const trigger = parseInstruction(inner, file, d);
      // Docker stores heredoc bodies in the trigger text, so that the child build can parse them again.
      const expression = args + line.heredocs.map((h) => `\n${h.content}${h.name}`).join('');
      return { kind, ...base, expression, trigger };
    }
    default:
      return fail(`unknown instruction: "${line.keyword}"`);
  }
}

/** Docker's parseMaybeJSON: a valid JSON array of strings is the exec form, anything else the shell form. */
function commandLine(args: string): CommandLine | undefined {
  const json = jsonArray(args);
  if (json !== undefined) return { form: 'exec', args: json };
  if (args === '') return undefined;
  return { form: 'shell', command: args };
}

function keyValues(kind: 'ENV' | 'LABEL', args: string, d: Directives, fail: (r: string) => never): KeyValue[] {
  const words = splitRawWords(args, d.escape);
  if (!words[0]!.includes('=')) {
    // The legacy form `ENV key value...`: the value is the rest of the line.
    const m = /^(\S+)\s+([\s\S]+)$/.exec(args);
    if (!m) fail(`${kind} must have two arguments`);
    return [{ key: m![1]!, value: m![2]! }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) fail(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    const key = w.slice(0, eq);
    if (key === '') fail(`${kind} names can not be blank: "${w}"`);
    return { key, value: w.slice(eq + 1) };
  });
}

function parseCopy(
  kind: 'COPY' | 'ADD',
  line: Line,
  base: { line: number; endLine: number; original: string },
  fail: (r: string, hint?: string) => never,
): CopyInstruction {
  const json = jsonArray(line.args);
  const words = json ?? line.args.split(/\s+/).filter(Boolean);
  if (words.length < 2) {
    fail(
      words.length === 0
        ? `${kind} requires at least two arguments`
        : `${kind} requires at least two arguments, but only one was provided. Destination could not be determined.`,
    );
  }
  const f = line.flags;
  const copy: CopyInstruction = {
    kind,
    ...base,
    sources: words.slice(0, -1),
    dest: words[words.length - 1]!,
    json: json !== undefined,
    link: f.link === true,
    exclude: (f.exclude as string[] | undefined) ?? [],
    heredocs: json === undefined ? line.heredocs : [],
  };
  // Heredoc sources are named by their delimiter: `COPY <<EOF /dest` copies a file with the body.
  if (copy.heredocs.length > 0) {
    copy.sources = copy.sources.map((s) => {
      const m = /^<<-?(.*)$/.exec(s);
      const name = m ? m[1]!.replace(/^["']|["']$/g, '') : undefined;
      return name !== undefined && copy.heredocs.some((h) => h.name === name) ? `<<${name}` : s;
    });
  }
  if (typeof f.from === 'string') copy.from = f.from;
  if (typeof f.chown === 'string') copy.chown = f.chown;
  if (typeof f.chmod === 'string') copy.chmod = f.chmod;
  if (f.parents === true) copy.parents = true;
  if (typeof f.checksum === 'string') copy.checksum = f.checksum;
  if (f['keep-git-dir'] === true) copy.keepGitDir = true;
  return copy;
}

function parseHealthcheck(
  line: Line,
  base: { line: number; endLine: number; original: string },
  fail: (r: string, hint?: string) => never,
): HealthcheckInstruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(line.args);
  if (!m) fail('HEALTHCHECK requires at least one argument');
  const type = m![1]!.toUpperCase();
  const hc: HealthcheckInstruction = { kind: 'HEALTHCHECK', ...base, none: false };
  if (type === 'NONE') {
    if (m![2] !== '' || Object.keys(line.flags).length > 0) fail('HEALTHCHECK NONE takes no arguments');
    hc.none = true;
    return hc;
  }
  if (type !== 'CMD') fail(`Unknown type "${m![1]}" in HEALTHCHECK (try CMD)`);
  const cmd = commandLine(m![2]!);
  if (cmd === undefined || (cmd.form === 'exec' && cmd.args.length === 0)) fail('Missing command after HEALTHCHECK CMD');
  hc.cmd = cmd!;
  const durations = [
    ['interval', 'interval'],
    ['timeout', 'timeout'],
    ['start-period', 'startPeriod'],
    ['start-interval', 'startInterval'],
  ] as const;
  for (const [flag, field] of durations) {
    const raw = line.flags[flag];
    if (typeof raw !== 'string') continue;
    const ns = parseGoDuration(raw);
    if (ns === undefined) fail(`HEALTHCHECK --${flag}: invalid duration "${raw}"`, 'use a duration such as 30s, 1m30s or 500ms');
    if (ns! !== 0 && ns! < 1_000_000) fail(`Interval "${flag}" cannot be less than 1ms`);
    hc[field] = ns!;
  }
  if (typeof line.flags.retries === 'string') {
    const raw = line.flags.retries;
    if (!/^-?[0-9]+$/.test(raw)) fail(`HEALTHCHECK --retries: invalid number "${raw}"`);
    const n = Number(raw);
    if (n < 0) fail(`--retries cannot be negative (${n})`);
    hc.retries = n;
  }
  return hc;
}

/** Where a base image's ONBUILD triggers are met: the FROM line of the stage that uses the image. */
export interface TriggerOptions {
  file: string;
  /** The line of the FROM that names the base image. */
  line: number;
  /** The escape character of the Containerfile being built. */
  escape?: '\\' | '`';
}

/**
 * Parses the ONBUILD triggers of a base image (its config's OnBuild list, each
 * a trigger text as `OnbuildInstruction.expression` stores it), for the
 * builder to run first in the stage that uses the image. Every instruction it
 * returns carries `options.line`. Throws ContainerfileError, at that line,
 * for a trigger that does not parse or is ONBUILD, FROM or MAINTAINER.
 */
export function parseOnbuildTriggers(triggers: readonly string[], options: TriggerOptions): Instruction[] {
  const d: Directives = { escape: options.escape ?? '\\' };
  return triggers.map((text) => {
    try {
      const { logical } = readLogicalLines(text.split('\n'), d.escape, options.file);
      if (logical.length !== 1) throw new ContainerfileError(options.file, options.line, 'expected exactly one instruction');
      const l = logical[0]!;
      const inner = splitLine(l.text, options.line, options.line, l.heredocs, options.file);
      const reason =
        inner.keyword === 'ONBUILD'
          ? "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
          : inner.keyword === 'FROM' || inner.keyword === 'MAINTAINER'
            ? `${inner.keyword} isn't allowed as an ONBUILD trigger`
            : undefined;
      if (reason !== undefined) throw new ContainerfileError(options.file, options.line, reason);
      return parseInstruction(inner, options.file, d);
    } catch (err) {
      if (!(err instanceof ContainerfileError)) throw err;
      throw new ContainerfileError(
        options.file,
        options.line,
        `ONBUILD trigger "${text.split('\n')[0]}" of the base image: ${err.reason}`,
        err.hint ? { hint: err.hint, cause: err } : { cause: err },
      );
    }
  });
}
