/**
 * The one error base class of skiff. Every layer throws subclasses of it with
 * a stable `code`; `cli/exit-codes.ts` is the only place that turns codes into
 * exit statuses. A plain `Error` means a bug.
 */
export class SkiffError extends Error {
  readonly code: string;
  readonly hint?: string;
  override readonly cause?: unknown;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message);
    this.name = 'SkiffError';
    this.code = code;
    this.hint = options.hint;
    this.cause = options.cause;
  }
}

/** Bad user input: flags, references, names. */
export class InvalidArgumentError extends SkiffError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('EINVALIDARG', message, options);
  }
}

/** True when `err` is a Node system error with the given errno code (ENOENT, EEXIST, ...). */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
