import { promises as fsp } from 'node:fs';

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
