import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
 * uncompressed tar on the way. On this thread; see extractBlobOffThread.
 */
export async function extractBlob(blobPath: string, dir: string, options: ExtractBlobOptions): Promise<ExtractBlobResult> {
  const counter = new DigestStream();
  const plain = await openDecompressed(blobPath);
  plain.on('error', (err) => counter.destroy(new SkiffError('ECORRUPT', `layer ${options.label} is corrupt: ${err.message}`, { cause: err })));
  await extractLayer(plain.pipe(counter), dir, { chown: options.chown, whiteouts: options.whiteouts });
  return { diffId: counter.digest(), size: counter.size() };
}

const WORKER = fileURLToPath(new URL('./extract-worker.js', import.meta.url));

/** Whether extractBlobOffThread can use a worker thread (its script is in place). */
export function extractWorkerAvailable(): boolean {
  return existsSync(WORKER);
}

/**
 * extractBlob in a worker thread, so that several layers extract at once:
 * the extractor makes synchronous file system calls, which would otherwise
 * take turns on the one main thread. Where the worker script is not beside
 * this module (a bundle that left it out), it runs here instead.
 * On `signal` the worker is stopped, and the promise rejects only once the
 * thread has exited, so nothing writes into `dir` after that.
 */
export async function extractBlobOffThread(blobPath: string, dir: string, options: ExtractBlobOptions, signal?: AbortSignal): Promise<ExtractBlobResult> {
  signal?.throwIfAborted();
  if (!extractWorkerAvailable()) return extractBlob(blobPath, dir, options);
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(WORKER, { workerData: { blobPath, dir, options } });
  const stop = () => void worker.terminate();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    return await new Promise<ExtractBlobResult>((resolve, reject) => {
      let outcome: { result: ExtractBlobResult } | { error: Error } | undefined;
      worker.once('message', (m: WorkerReply) => {
        outcome = 'result' in m ? { result: m.result } : { error: deserializeError(m.error) };
      });
      worker.once('error', (err) => { outcome ??= { error: err }; });
      worker.once('exit', (code) => {
        if (outcome && 'result' in outcome) resolve(outcome.result);
        else if (outcome) reject(outcome.error);
        else reject(signal?.aborted ? signal.reason : new Error(`the layer extraction thread exited with ${code} and no result`));
      });
    });
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/** What the worker posts back: a result, or its error in a form that survives postMessage. */
export type WorkerReply = { result: ExtractBlobResult } | { error: SerializedError };

export interface SerializedError {
  skiff: boolean;
  message: string;
  code?: string;
  hint?: string;
  cause?: SerializedError;
}

/** An error as plain data: a SkiffError's code and hint, a system error's errno code, and the cause chain (NoSpaceError looks there). */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) return { skiff: false, message: String(err) };
  const code = (err as { code?: unknown }).code;
  const cause = (err as { cause?: unknown }).cause;
  return {
    skiff: err instanceof SkiffError,
    message: err.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(err instanceof SkiffError && err.hint ? { hint: err.hint } : {}),
    ...(cause !== undefined && depth < 10 ? { cause: serializeError(cause, depth + 1) } : {}),
  };
}

/** The inverse of serializeError: a SkiffError with the same code, message and hint, or an Error with the errno code. */
export function deserializeError(e: SerializedError): Error {
  const cause = e.cause ? deserializeError(e.cause) : undefined;
  if (e.skiff && e.code) return new SkiffError(e.code, e.message, { hint: e.hint, cause });
  return Object.assign(new Error(e.message, cause ? { cause } : undefined), e.code ? { code: e.code } : {});
}
