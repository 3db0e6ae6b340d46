import { promises as fsp, createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { SkiffError, isErrno } from '../util/errors.js';
import type { StoreLayout } from './layout.js';
import { tempName } from './temp.js';

export class DigestMismatchError extends SkiffError {
  constructor(expected: string, actual: string) {
    super('EDIGEST', `digest mismatch: expected ${expected}, got ${actual}`);
  }
}

/**
 * The content-addressed blob store: blobs/sha256/<hex>. A blob appears under
 * its name only after its digest is verified (temp file, hash, rename).
 */
export class BlobStore {
  constructor(private readonly layout: StoreLayout) {}

  path(digest: string): string {
    return this.layout.blobPath(digest.replace(/^sha256:/, ''));
  }

  async has(digest: string): Promise<boolean> {
    try {
      await fsp.access(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  async get(digest: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.path(digest));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new SkiffError('EBLOBUNKNOWN', `blob ${digest} is missing from the store`);
      throw err;
    }
  }

  /** Deletes a blob; one that is not there is fine. The caller ensures no image references it. */
  async remove(digest: string): Promise<void> {
    await fsp.rm(this.path(digest), { force: true });
  }

  /** Stores a small blob held in memory and returns its digest. */
  async putBytes(data: Buffer | string): Promise<{ digest: string; size: number }> {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    // Loaded here (and DigestStream below): commands that only read the store, such as images and inspect, never hash.
    const { createHash } = await import('node:crypto');
    const digest = 'sha256:' + createHash('sha256').update(buf).digest('hex');
    if (await this.has(digest)) return { digest, size: buf.length };
    const tmp = await this.tempPath();
    try {
      await fsp.writeFile(tmp, buf, { mode: 0o644 });
      await fsp.rename(tmp, this.path(digest));
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
    return { digest, size: buf.length };
  }

  /**
   * Streams a blob into the store. When `expected` is given and the bytes do
   * not hash to it, nothing is stored and DigestMismatchError is thrown.
   */
  async putStream(source: Readable, expected?: string): Promise<{ digest: string; size: number }> {
    const tmp = await this.tempPath();
    const { DigestStream } = await import('../util/digest-stream.js');
    const counter = new DigestStream();
    try {
      await pipeline(source, counter, createWriteStream(tmp, { mode: 0o644 }));
      const digest = counter.digest();
      const size = counter.size();
      if (expected && expected !== digest) throw new DigestMismatchError(expected, digest);
      await fsp.rename(tmp, this.path(digest));
      return { digest, size };
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * The digest of the stored copy of blob `digest` in `compression` that
   * `recordCompressedCopy` noted, so push compresses a layer once; undefined
   * when none was noted or the copy is gone. A note is a hint: the caller
   * still verifies the copy's bytes against its digest before using them.
   */
  async compressedCopy(digest: string, compression: string): Promise<string | undefined> {
    const copy = await fsp.readFile(this.copyNote(digest, compression), 'utf8').catch(() => undefined);
    if (!copy || !/^sha256:[0-9a-f]{64}$/.test(copy) || !(await this.has(copy))) return undefined;
    return copy;
  }

  /** Notes that blob `copy` holds blob `digest`'s content in `compression` (atomically: a note is whole or absent). */
  async recordCompressedCopy(digest: string, compression: string, copy: string): Promise<void> {
    const note = this.copyNote(digest, compression);
    await fsp.mkdir(dirname(note), { recursive: true });
    const tmp = await this.tempPath();
    try {
      await fsp.writeFile(tmp, copy, { mode: 0o644 });
      await fsp.rename(tmp, note);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  private copyNote(digest: string, compression: string): string {
    return join(dirname(this.layout.blobsDir), 'copies', compression, digest.replace(/^sha256:/, ''));
  }

  private async tempPath(): Promise<string> {
    await fsp.mkdir(this.layout.blobsDir, { recursive: true });
    await fsp.mkdir(this.layout.tmpDir, { recursive: true });
    return join(this.layout.tmpDir, tempName('blob'));
  }
}
