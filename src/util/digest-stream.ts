import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/**
 * A pass-through stream that hashes (sha256) and counts what flows through
 * it, so content is verified while it streams rather than read twice.
 * digest() and size() are final once the stream has ended.
 */
export class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (err: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  /** `sha256:<hex>` of everything that passed. */
  digest(): string {
    return 'sha256:' + this.hash.copy().digest('hex');
  }

  size(): number {
    return this.bytes;
  }
}
