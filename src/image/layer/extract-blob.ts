import { DigestStream } from '../../util/digest-stream.js';
import { SkiffError } from '../../util/errors.js';
import { openDecompressed } from './compression.js';
import { extractLayer, type ExtractOptions } from './extract.js';

export interface ExtractBlobOptions extends ExtractOptions {
  /** How errors name the layer (its blob digest). */
  label: string;
}

export interface ExtractBlobResult {
  /** sha256 of the uncompressed tar: the caller compares it with the image config's diff id. */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  size: number;
}

/**
 * Decompresses the layer blob at `blobPath` (gzip, zstd or plain, by magic
 * bytes) and extracts it into `dir` with extractLayer, hashing the
 * uncompressed tar on the way.
 */
export async function extractBlob(blobPath: string, dir: string, options: ExtractBlobOptions): Promise<ExtractBlobResult> {
  const counter = new DigestStream();
  const plain = await openDecompressed(blobPath);
  plain.on('error', (err) => counter.destroy(new SkiffError('ECORRUPT', `layer ${options.label} is corrupt: ${err.message}`, { cause: err })));
  await extractLayer(plain.pipe(counter), dir, { chown: options.chown, whiteouts: options.whiteouts });
  return { diffId: counter.digest(), size: counter.size() };
}
