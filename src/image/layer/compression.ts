import { promises as fsp, createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { PassThrough, type Readable, type Transform } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Detects compression by magic bytes; media types can lie. */
export function compressionOf(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

export async function detectCompression(path: string): Promise<Compression> {
  const fh = await fsp.open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return compressionOf(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/**
 * A stream that decompresses `compression`. zstd comes from zstd-codec (a
 * WebAssembly build: Node 20 has no built-in zstd); it loads only when a
 * zstd layer is seen.
 */
export async function decompressor(compression: Compression): Promise<Transform> {
  if (compression === 'gzip') return createGunzip();
  if (compression === 'none') return new PassThrough();
  const require = createRequire(import.meta.url);
  const zstdStream = require('zstd-codec/lib/zstd-stream.js') as { run(f: (streams: { ZstdDecompressTransform: new () => Transform }) => void): void };
  return new Promise((resolve) => zstdStream.run((streams) => resolve(new streams.ZstdDecompressTransform())));
}

/**
 * A stream that compresses to `compression`: gzip with node:zlib, zstd with
 * zstd-codec's streaming encoder (level 3, zstd's default).
 */
export async function compressor(compression: 'gzip' | 'zstd'): Promise<Transform> {
  if (compression === 'gzip') return createGzip();
  const require = createRequire(import.meta.url);
  const zstdStream = require('zstd-codec/lib/zstd-stream.js') as { run(f: (streams: { ZstdCompressTransform: new (level: number) => Transform }) => void): void };
  return new Promise((resolve) => zstdStream.run((streams) => resolve(new streams.ZstdCompressTransform(3))));
}

/** Reads the first bytes of a file-backed blob and returns a decompressing stream of the whole blob. */
export async function openDecompressed(path: string): Promise<Readable> {
  const raw = createReadStream(path);
  const transform = await decompressor(await detectCompression(path));
  raw.on('error', (err) => transform.destroy(err));
  return raw.pipe(transform);
}
