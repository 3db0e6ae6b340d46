import type { CommandDefinition, OptionSpec } from '../command.js';
import { COMMANDS } from '../commands/index.js';
import { GLOBAL_OPTIONS } from '../parse.js';
import { bashCompletion } from './completions.js';
import { manPage, manPageName, rootManPage } from './man.js';

/** Directories gen-docs owns, relative to the project root. */
export const MAN_DIR = 'man';
export const COMPLETIONS_DIR = 'completions';

/**
 * Every generated documentation file, by path relative to the project root
 * (man/skiff.1, man/skiff-container-run.1, completions/skiff.bash), in a
 * stable order. Pure: nothing is read or written.
 */
export function generateDocs(commands: CommandDefinition[] = COMMANDS, globalOptions: Record<string, OptionSpec> = GLOBAL_OPTIONS): Map<string, string> {
  const files = new Map<string, string>();
  files.set(`${MAN_DIR}/skiff.1`, rootManPage(commands, globalOptions));
  for (const command of [...commands].sort((a, b) => manPageName(a).localeCompare(manPageName(b)))) {
    files.set(`${MAN_DIR}/${manPageName(command)}`, manPage(command, globalOptions));
  }
  files.set(`${COMPLETIONS_DIR}/skiff.bash`, bashCompletion(commands, globalOptions));
  return files;
}
