import { SkiffError } from '../../util/errors.js';

/**
 * A malformed Containerfile, found before anything runs. The message reads
 * `FILE:LINE: what is wrong`; the CLI prints it as `Error: ...` and exits 125.
 */
export class ContainerfileError extends SkiffError {
  readonly file: string;
  readonly line: number;
  /** The message without the `FILE:LINE: ` prefix. */
  readonly reason: string;

  constructor(file: string, line: number, reason: string, options: { hint?: string; cause?: unknown } = {}) {
    super('ECONTAINERFILE', line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`, options);
    this.name = 'ContainerfileError';
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** A bad `${...}` or an unterminated quote met while expanding a word. */
export class ExpansionError extends SkiffError {
  constructor(message: string) {
    super('EEXPANSION', message);
    this.name = 'ExpansionError';
  }
}

/** A `RUN --mount=` value docker would refuse (bad type, key or value). */
export class RunMountError extends SkiffError {
  constructor(message: string) {
    super('ERUNMOUNT', message);
    this.name = 'RunMountError';
  }
}
