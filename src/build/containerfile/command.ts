/**
 * The argv a RUN, CMD or ENTRYPOINT stands for, given the stage's SHELL:
 * docker's rules, heredocs included
 * (https://docs.docker.com/reference/dockerfile/#here-documents).
 */
import type { CommandLine, RunInstruction } from './ast.js';

/** The default SHELL of a Linux image. */
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/** The argv of a command line: the exec form as is, the shell form through `shell`. */
export function commandArgv(cmd: CommandLine, shell: readonly string[] = DEFAULT_SHELL): string[] {
  return cmd.form === 'exec' ? [...cmd.args] : [...shell, cmd.command];
}

/** What a RUN step executes: an argv, and maybe a script file to put in place first. */
export interface RunPlan {
  argv: string[];
  /** A heredoc with a `#!` line run as a program: write `content` at `path`, mode 0755, then run argv. */
  script?: { path: string; content: string };
}

const SINGLE_HEREDOC = /^\d*<<-?(["']?)([^<\s"']+)\1$/;

/**
 * The command a RUN instruction executes, as docker runs heredocs:
 * - `RUN <<EOF` whose body starts with `#!`: the body is a script run directly
 *   (written at `scriptDir/NAME`);
 * - `RUN <<EOF` otherwise: the body is passed to the shell as the command;
 * - a command line with heredocs in it (`RUN python3 <<EOF`): the line and the
 *   bodies, each followed by its delimiter, go to the shell, which reads them
 *   as the heredocs they are.
 * The exec form ignores heredocs, as docker does.
 */
export function runPlan(run: RunInstruction, shell: readonly string[] = DEFAULT_SHELL, scriptDir = '/dev/pipes'): RunPlan {
  if (run.cmd.form === 'exec' || run.heredocs.length === 0) return { argv: commandArgv(run.cmd, shell) };
  const command = run.cmd.command;
  const first = run.heredocs[0]!;
  const single = SINGLE_HEREDOC.exec(command);
  if (single && single[2] === first.name) {
    if (first.content.startsWith('#!')) {
      const path = `${scriptDir.replace(/\/+$/, '')}/${first.name}`;
      return { argv: [path], script: { path, content: first.content } };
    }
    return { argv: [...shell, first.content] };
  }
  const full = command + run.heredocs.map((h) => `\n${h.content}${h.name}`).join('');
  return { argv: [...shell, full] };
}
