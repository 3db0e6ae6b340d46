import { exitCodeFor } from './exit-codes.js';
import { printError, printText } from './output/print.js';
import { SkiffError } from '../util/errors.js';

/**
 * Runs a verb over several targets as podman does: each success prints the
 * target as given on stdout, each failure an `Error:` line on stderr; the
 * exit code is that of the last failure (0 when all succeeded).
 */
export async function forEachTarget(command: string, targets: string[], fn: (target: string) => Promise<string | undefined>): Promise<number> {
  let code = 0;
  for (const target of targets) {
    try {
      const shown = await fn(target);
      if (shown !== undefined) printText(shown + '\n');
    } catch (err) {
      if (!(err instanceof SkiffError)) throw err;
      printError(err.message, err.hint);
      code = exitCodeFor(err, command);
    }
  }
  return code;
}
