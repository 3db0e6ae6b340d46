/**
 * The typed tree a Containerfile parses into. The builder executes it without
 * re-reading text: every flag is parsed, shell and exec forms stay distinct,
 * and the words docker expands at execution time are kept raw (still quoted)
 * for `expandInstruction` to process with the stage's ENV and ARG values.
 */

/** The parser directives at the top of the file (`# escape=`, `# syntax=`). */
export interface Directives {
  /** The escape character: `\` (default) or `` ` ``. */
  escape: '\\' | '`';
  syntax?: string;
}

/** A `name=value` pair of ENV, LABEL or ARG, as raw shell words (quotes and `$VAR` still in). */
export interface KeyValue {
  key: string;
  value: string;
}

/** What every instruction carries. */
export interface InstructionBase {
  /** 1-based line where the instruction starts. */
  line: number;
  /** 1-based line where it ends (continuations and heredocs included). */
  endLine: number;
  /**
   * The instruction as written, continuation lines joined, as podman prints it in
   * `STEP n/m: ...` and in the history's created_by.
   */
  original: string;
}

/** A heredoc body (`<<EOF ... EOF`). */
export interface Heredoc {
  /** The delimiter word without quotes and without `-`. */
  name: string;
  /** The body, each line ending with a newline; with `<<-`, leading tabs already removed. */
  content: string;
  /** False when the delimiter was quoted (`<<"EOF"`, `<<'EOF'`): the body is not expanded. */
  expand: boolean;
  /** True for `<<-EOF` (leading tabs stripped from body lines and the terminator). */
  chomp: boolean;
}

/** Shell form (`RUN echo hi`) or exec form (`RUN ["echo", "hi"]`). */
export type CommandLine =
  | { form: 'shell'; command: string }
  | { form: 'exec'; args: string[] };

/**
 * One `--mount=` of RUN, parsed, with docker's defaults filled in (bind and
 * secret read-only, cache `sharing=shared` and `id` = target, secret target
 * `/run/secrets/<id>`). Fields the type does not use stay undefined. A value
 * holding `$` is kept raw (or unset when numeric) until `expandInstruction`.
 */
export interface RunMount {
  type: 'bind' | 'cache' | 'secret' | 'tmpfs' | 'ssh';
  target?: string;
  source?: string;
  /** bind/cache: a stage (name or index) or an image to mount from. */
  from?: string;
  /** The stage `from` names, set by the parser; undefined when `from` names an image. */
  fromStage?: number;
  readonly?: boolean;
  /** cache: the cache id (defaults to the target in docker). */
  id?: string;
  /** cache: shared | private | locked. */
  sharing?: 'shared' | 'private' | 'locked';
  /** secret/ssh: fail when the secret is missing. */
  required?: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
  /** tmpfs: size in bytes. */
  size?: number;
  /** secret: expose as this environment variable. */
  env?: string;
  /** The option text as written, for error messages and cache keys. */
  raw: string;
}

export interface RunInstruction extends InstructionBase {
  kind: 'RUN';
  cmd: CommandLine;
  mounts: RunMount[];
  /** `--network=default|none|host`. */
  network?: string;
  /** `--security=insecure|sandbox`. */
  security?: string;
  heredocs: Heredoc[];
}

export interface CopyInstruction extends InstructionBase {
  kind: 'COPY' | 'ADD';
  /**
   * Source words, raw (expanded by `expandInstruction`). A heredoc source is
   * `<<NAME` (quotes and `-` dropped): its body is the heredoc of that name,
   * copied as a file called NAME.
   */
  sources: string[];
  dest: string;
  /** True when written in JSON array form. */
  json: boolean;
  /** COPY only: `--from=stage|index|image`. */
  from?: string;
  /** The stage `from` names (by name or index), set by the parser; undefined when `from` names an image. */
  fromStage?: number;
  chown?: string;
  chmod?: string;
  link: boolean;
  /** COPY only: `--parents`. */
  parents?: boolean;
  exclude: string[];
  /** ADD only: `--checksum=`. */
  checksum?: string;
  /** ADD only: `--keep-git-dir`. */
  keepGitDir?: boolean;
  heredocs: Heredoc[];
}

export interface AddInstruction extends CopyInstruction {
  kind: 'ADD';
}

export interface EnvInstruction extends InstructionBase {
  kind: 'ENV';
  pairs: KeyValue[];
}

export interface LabelInstruction extends InstructionBase {
  kind: 'LABEL';
  pairs: KeyValue[];
}

/** One name of an ARG instruction: `value` undefined when no default is given. */
export interface ArgDeclaration {
  key: string;
  value?: string;
}

export interface ArgInstruction extends InstructionBase {
  kind: 'ARG';
  args: ArgDeclaration[];
}

export interface WorkdirInstruction extends InstructionBase {
  kind: 'WORKDIR';
  path: string;
}

export interface UserInstruction extends InstructionBase {
  kind: 'USER';
  user: string;
}

export interface ExposeInstruction extends InstructionBase {
  kind: 'EXPOSE';
  /** Raw words (`80`, `53/udp`, `$PORT`); expansion may split a word into several. */
  ports: string[];
}

export interface VolumeInstruction extends InstructionBase {
  kind: 'VOLUME';
  paths: string[];
  json: boolean;
}

export interface EntrypointInstruction extends InstructionBase {
  kind: 'ENTRYPOINT';
  cmd: CommandLine;
}

export interface CmdInstruction extends InstructionBase {
  kind: 'CMD';
  cmd: CommandLine;
}

export interface ShellInstruction extends InstructionBase {
  kind: 'SHELL';
  /** SHELL takes the exec form only. */
  shell: string[];
}

/** Durations in nanoseconds, as the image config stores them. */
export interface HealthcheckInstruction extends InstructionBase {
  kind: 'HEALTHCHECK';
  /** `HEALTHCHECK NONE` disables any inherited check. */
  none: boolean;
  cmd?: CommandLine;
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export interface StopsignalInstruction extends InstructionBase {
  kind: 'STOPSIGNAL';
  signal: string;
}

export interface MaintainerInstruction extends InstructionBase {
  kind: 'MAINTAINER';
  maintainer: string;
}

export interface OnbuildInstruction extends InstructionBase {
  kind: 'ONBUILD';
  /** The trigger text as stored in the image config's OnBuild list (e.g. `RUN echo hi`). */
  expression: string;
  /** The trigger, parsed (its `line` is the ONBUILD's line). */
  trigger: Instruction;
}

export type Instruction =
  | RunInstruction
  | CopyInstruction
  | EnvInstruction
  | LabelInstruction
  | ArgInstruction
  | WorkdirInstruction
  | UserInstruction
  | ExposeInstruction
  | VolumeInstruction
  | EntrypointInstruction
  | CmdInstruction
  | ShellInstruction
  | HealthcheckInstruction
  | StopsignalInstruction
  | OnbuildInstruction
  | MaintainerInstruction;

export type InstructionKind = Instruction['kind'];

export interface FromInstruction extends InstructionBase {
  kind: 'FROM';
  /** The image after expansion of the global ARGs; `scratch` for an empty base. */
  image: string;
  /** The image as written (before expansion). */
  rawImage: string;
  /** `--platform=`, after expansion of the global ARGs and the platform args. */
  platform?: string;
  /** The index of the earlier stage `image` names (`FROM builder`); undefined for an image. */
  stage?: number;
}

export interface Stage {
  /** 0-based position in the file (`COPY --from=0`). */
  index: number;
  /** The name after `AS`, lower-cased as docker stores it. */
  name?: string;
  from: FromInstruction;
  instructions: Instruction[];
  /**
   * The earlier stages this one reads (its FROM, COPY --from, RUN --mount
   * from=), ascending: stages that do not depend on each other can be built
   * at the same time.
   */
  dependsOn: number[];
}

export interface Containerfile {
  directives: Directives;
  /** The ARGs before the first FROM (usable in FROM lines; redeclare inside a stage to use them there). */
  globalArgs: ArgInstruction[];
  /** The values of the global ARGs after defaults and --build-arg, as FROM lines saw them. */
  globalArgValues: Record<string, string>;
  stages: Stage[];
  /** Non-fatal findings (an empty continuation line), as docker prints them. */
  warnings: string[];
}
