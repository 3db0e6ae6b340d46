import { log } from '../../util/log.js';

/**
 * All CLI output goes through here: results to stdout, diagnostics to
 * stderr. Commands never write to the process streams themselves.
 */
export function printText(text: string): void {
  if (text) process.stdout.write(text);
}

export function printLines(lines: string[]): void {
  if (lines.length) process.stdout.write(lines.join('\n') + '\n');
}

/** A podman-style warning line on stderr (none with --log-level error or above). */
export function printWarning(message: string): void {
  log.warn(message);
}

/** The one-line error podman prints, plus a hint line when there is one. */
export function printError(message: string, hint?: string): void {
  process.stderr.write(`Error: ${message}\n`);
  if (hint && process.stderr.isTTY) process.stderr.write(`Hint: ${hint}\n`);
}
