import type { GlobalOptions } from '../config/global-options.js';

/** One flag of a command, in yargs' vocabulary (help, man pages and completions read it). */
export interface OptionSpec {
  type: 'boolean' | 'string' | 'number';
  alias?: string | string[];
  /** A list flag: repeats accumulate (-e A -e B). */
  array?: boolean;
  default?: unknown;
  choices?: string[];
  describe: string;
}

/** Parsed flags of one command: option values by name plus positionals. */
export interface ParsedArgs {
  [key: string]: unknown;
  /** Positional arguments, in order. */
  _: string[];
}

/**
 * One CLI command: static metadata read by help, man pages, completions and
 * structural tests without running anything, plus a lazily-loading handler.
 */
export interface CommandDefinition {
  /** Canonical path, e.g. ['container', 'run']. */
  path: string[];
  /** Other paths that reach the same command, e.g. [['run']]. */
  aliases: string[][];
  describe: string;
  /** Argument synopsis after the command name, e.g. '[options] IMAGE [COMMAND [ARG...]]'. */
  synopsis: string;
  examples: Array<[command: string, meaning: string]>;
  options: Record<string, OptionSpec>;
  /** Minimum and maximum number of positionals (max undefined = any). */
  positionals: { min: number; max?: number };
  /**
   * Flag parsing stops after this many positionals and the rest is taken
   * verbatim (run IMAGE CMD -c ..., as podman's SetInterspersed(false)).
   */
  stopAfterPositionals?: number;
  /** Re-executed as root inside the rootless user namespace before running. */
  userns?: boolean;
  /**
   * Re-executed there only when this says so, after parsing (`ps --size`):
   * the command's plain form stays fast, out of the namespace.
   */
  usernsWhen?: (args: ParsedArgs) => boolean;
  /** Runs the command; returns the exit code. Loads engine modules lazily. */
  run(args: ParsedArgs, global: GlobalOptions): Promise<number>;
}
