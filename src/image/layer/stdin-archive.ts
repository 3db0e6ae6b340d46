import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '../../util/errors.js';
import { compressionOf, decompressor } from './compression.js';

/**
 * The tar archive `cp - CONTAINER:DIR` reads from stdin, decompressed when
 * it is gzip or zstd (found by magic bytes, as podman does). Checks the
 * first header's checksum before anything is written, so input that is
 * not a tar archive is podman's one-line error, not a failure midway.
 */
export async function tarFromStdin(input: Readable): Promise<Readable> {
  const raw = await peek(input, 4);
  const compression = compressionOf(raw.head);
  let tarStream = raw.stream;
  if (compression !== 'none') {
    const transform = await decompressor(compression);
    pipeline(raw.stream, transform).catch((err: unknown) => transform.destroy(err as Error));
    tarStream = transform;
  }
  const tar = await peek(tarStream, 512).catch(() => undefined);
  if (!tar || !isTarHeader(tar.head)) throw new InvalidArgumentError('source must be a (compressed) tar archive when copying from stdin');
  return tar.stream;
}

/** The first `n` bytes of `stream` (fewer at its end), and a stream that still yields them. */
async function peek(stream: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  while (head.length < n) {
    const next = await chunks.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  const first = head;
  const rest = async function* () {
    if (first.length) yield first;
    for (;;) {
      const next = await chunks.next();
      if (next.done) return;
      yield next.value;
    }
  };
  return { head: head.subarray(0, n), stream: Readable.from(rest(), { objectMode: false }) };
}

/** A ustar/GNU/v7 header block: its checksum field matches the sum of its bytes (the field itself counted as spaces). */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < 512) return false;
  const field = block.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum === parseInt(field, 8);
}
