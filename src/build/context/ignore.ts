import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { isErrno } from '../../util/errors.js';
import type { IgnoreFn } from './copy-layer.js';

/** The ignore files podman reads from a context, first found wins. */
export const IGNORE_FILES = ['.containerignore', '.dockerignore'];

/**
 * The patterns of an ignore file's text as docker reads them: one per
 * line, `#` comments and blank lines dropped, surrounding spaces trimmed.
 */
export function parseIgnoreFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * A predicate over paths relative to the context root that is true for
 * what `patterns` exclude, with docker's rules (through
 * @balena/dockerignore, which follows moby's patternmatcher): Go
 * filepath.Match globs plus `**`, a pattern also excluding what is below a
 * match, a leading `/` or `./` meaning the root, later `!` rules taking
 * back what earlier ones excluded. `hasExceptions` tells a walk whether an
 * excluded directory can hold anything included again.
 */
export async function ignoreMatcher(patterns: string[]): Promise<IgnoreFn> {
  const mod = await import('@balena/dockerignore');
  // A CommonJS module: its module.exports (the factory) is the default export, whatever its typings say.
  const ignore = mod.default as unknown as typeof mod.default.default;
  const rules = ignore().add(patterns);
  const fn: IgnoreFn = (rel: string) => {
    const clean = posix.normalize(rel).replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
    if (clean === '' || clean === '.') return false;
    return rules.ignores(clean);
  };
  fn.hasExceptions = patterns.some((p) => p.startsWith('!'));
  return fn;
}

/**
 * Reads the ignore rules for a context: `file` when given (a missing one
 * is no rules), else the first of .containerignore and .dockerignore in
 * `root`. Undefined when there are none.
 */
export async function loadIgnoreFile(root: string, file?: string): Promise<IgnoreFn | undefined> {
  const candidates = file !== undefined ? [file] : IGNORE_FILES.map((name) => posix.join(root, name));
  for (const path of candidates) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) continue;
      throw err;
    }
    return ignoreMatcher(parseIgnoreFile(text));
  }
  return undefined;
}
