import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';

/**
 * Creates `path` atomically from what `write` streams into the writable it
 * is given (and ends): the bytes go to a temp file beside it, renamed over
 * `path` only when `write` succeeds, so a failed or interrupted write leaves
 * no half file and an existing file untouched.
 */
export async function writeFileAtomically(path: string, write: (out: Writable) => Promise<void>, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const out = createWriteStream(tmp, { mode, flags: 'wx' });
  try {
    await once(out, 'open');
    await write(out);
    if (!out.closed) await once(out, 'close');
    await fsp.rename(tmp, path);
  } catch (err) {
    out.destroy();
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * A writable that forwards to `dest` (stdout) with back-pressure but never
 * ends it: the process still writes to it afterwards.
 */
export function nonEnding(dest: NodeJS.WritableStream): Writable {
  return new Writable({
    // Each chunk waits until dest has taken it, and sees dest's errors (EPIPE).
    write(chunk: Buffer, _encoding, callback) {
      dest.write(chunk, (err?: Error | null) => callback(err ?? null));
    },
    final(callback) {
      dest.write('', () => callback());
    },
  });
}
