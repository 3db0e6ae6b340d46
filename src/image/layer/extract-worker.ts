// The worker thread of extractBlobOffThread: extracts one layer blob and
// posts back its diff id and size, or the error.
import { parentPort, workerData } from 'node:worker_threads';
import { extractBlob, serializeError, type ExtractBlobOptions, type WorkerReply } from './extract-blob.js';

const { blobPath, dir, options } = workerData as { blobPath: string; dir: string; options: ExtractBlobOptions };
let reply: WorkerReply;
try {
  reply = { result: await extractBlob(blobPath, dir, options) };
} catch (err) {
  reply = { error: serializeError(err) };
}
parentPort!.postMessage(reply);
