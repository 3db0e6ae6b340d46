import { promises as fsp, createReadStream } from 'node:fs';
import { spawn } from 'node:child_process';
import { Duplex, PassThrough, type Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { SkiffError } from '../../util/errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

/**
 * Read and inflate in large chunks: the extractor is sync per entry, so each
 * chunk costs an event-loop round trip; 1 MiB reads (against the default
 * 64 KiB) cut extraction of a 170 MB Debian layer by a quarter.
 */
const READ_CHUNK = 1 << 20;
const DECOMPRESSED_CHUNK = 256 << 10;

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
 * A stream that decompresses `compression`. zstd goes through the `zstd`
 * program: measured on a 170 MB Debian layer it decompresses at ~500 MB/s,
 * against ~125 MB/s for zstd-codec (WebAssembly) and ~110 MB/s for fzstd
 * (JavaScript), and Node 20 has no zstd of its own. Without the program a
 * zstd layer is refused with a one-line error saying what to install.
 */
export async function decompressor(compression: Compression): Promise<Duplex> {
  if (compression === 'gzip') return createGunzip({ chunkSize: DECOMPRESSED_CHUNK });
  if (compression === 'none') return new PassThrough();
  await requireZstdProgram();
  return zstdProgram(['-d', '-c', '-q']);
}

/** A stream that compresses with gzip or zstd (level 3, zstd's default), for push --compression-format. */
export async function compressor(compression: 'gzip' | 'zstd'): Promise<Duplex> {
  if (compression === 'gzip') return createGzip();
  await requireZstdProgram();
  return zstdProgram(['-3', '-c', '-q']);
}

async function requireZstdProgram(): Promise<void> {
  if (!(await zstdProgramAvailable())) {
    throw new SkiffError('EZSTD', 'zstd-compressed layers need the zstd program, which is not installed', { hint: 'install it (Debian/Ubuntu: apt-get install zstd)' });
  }
}

let zstdProgramPath: Promise<boolean> | undefined;
function zstdProgramAvailable(): Promise<boolean> {
  zstdProgramPath ??= new Promise((resolve) => {
    const probe = spawn('zstd', ['--version'], { stdio: 'ignore' });
    probe.once('error', () => resolve(false));
    probe.once('exit', (code) => resolve(code === 0));
  });
  return zstdProgramPath;
}

/** The zstd program as a stream: bytes in on stdin, out on stdout; a failure becomes a stream error. */
function zstdProgram(args: string[]): Duplex {
  const child = spawn('zstd', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.once('exit', (code, signal) => {
    if (code !== 0) duplex.destroy(new Error(`zstd: ${stderr.trim().split('\n').pop() || `exited with ${code ?? signal}`}`));
  });
  duplex.once('close', () => {
    if (child.exitCode === null) child.kill();
  });
  return duplex;
}

/** Reads the first bytes of a file-backed blob and returns a decompressing stream of the whole blob. */
export async function openDecompressed(path: string): Promise<Readable> {
  const raw = createReadStream(path, { highWaterMark: READ_CHUNK });
  const transform = await decompressor(await detectCompression(path));
  raw.on('error', (err) => transform.destroy(err));
  return raw.pipe(transform);
}
