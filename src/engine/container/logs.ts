import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { parseLogLine, type LogStream } from '../../store/container-log.js';
import { InvalidArgumentError, SkiffError, isErrno } from '../../util/errors.js';
import { sleep } from '../../util/fs.js';
import type { EngineContext } from '../context.js';
import { loadContainer, resolveContainer } from './record.js';

export interface ContainerLogsOptions {
  follow: boolean;
  /** Only the last N lines; undefined for all. */
  tail?: number;
  timestamps: boolean;
  /** Only records written at or after this time (ms since the epoch). */
  since?: number;
  /** Only records written at or before this time (ms since the epoch); following ends then too. */
  until?: number;
  /** Put before every line, as podman's logs of several containers ("ID " or "NAME "). */
  prefix?: string;
}

export interface LogChunk {
  stream: LogStream;
  /** The container's bytes as it wrote them. */
  data: Buffer;
}

/** Bytes read from the log file at a time, forwards and backwards. */
const BLOCK = 256 * 1024;
/** A record's flag (F/P) sits within its first bytes: timestamp, stream, flag. */
const HEADER_MAX = 128;

/**
 * Yields a container's output from its log file: whole history (or the last
 * `tail` lines), then, with `follow`, new output until the container exits.
 * Memory stays bounded whatever the log's size: the file is read in blocks,
 * `tail` is found by reading backwards from the end, and the next block is
 * only read when the caller asks for more (so a slow consumer slows us).
 */
export async function* containerLogs(ctx: EngineContext, nameOrId: string, options: ContainerLogsOptions): AsyncGenerator<LogChunk> {
  const info = await resolveContainer(ctx, nameOrId);
  if (info.record.log?.driver === 'none') {
    throw new SkiffError('ENOLOGS', "this container is using the 'none' log driver, cannot read logs: this container is not logging output");
  }
  const path = info.record.log?.path ?? ctx.layout.containerLog(info.record.id);
  let handle = await openIfExists(path);
  try {
    // No log file yet means no history: whatever appears later is new output.
    let offset = handle && options.tail !== undefined ? await tailStart(handle, (await handle.stat()).size, options.tail) : 0;
    let pending: Buffer = Buffer.alloc(0);
    const line = { start: true };
    for (;;) {
      handle ??= await openIfExists(path);
      if (handle) {
        for (;;) {
          const block = Buffer.allocUnsafe(BLOCK);
          const { bytesRead } = await handle.read(block, 0, BLOCK, offset);
          if (bytesRead === 0) {
            // Truncated past its --log-opt max-size: the log begins again.
            if (options.follow && (await handle.stat()).size < offset) {
              offset = 0;
              pending = Buffer.alloc(0);
              continue;
            }
            break;
          }
          offset += bytesRead;
          const data = pending.length ? Buffer.concat([pending, block.subarray(0, bytesRead)]) : block.subarray(0, bytesRead);
          const end = data.lastIndexOf(0x0a) + 1;
          pending = Buffer.from(data.subarray(end));
          yield* recordsIn(data.subarray(0, end), options, line);
        }
      }
      if (!options.follow || (options.until !== undefined && Date.now() > options.until)) return;
      const current = await loadContainer(ctx, info.record.id);
      if (!current || (current.state.status !== 'running' && current.state.status !== 'paused')) {
        // One last pass picks up what was written just before the exit.
        if (!handle || offset >= (await handle.stat()).size) return;
        continue;
      }
      await sleep(100);
    }
  } finally {
    await handle?.close();
  }
}

/**
 * The records in whole lines of log text, merged into one chunk per run of
 * the same stream; those outside since/until are left out. `line.start`
 * carries over calls: whether the next record begins a line (and so gets
 * the prefix and the timestamp).
 */
function* recordsIn(lines: Buffer, options: ContainerLogsOptions, line: { start: boolean }): Generator<LogChunk> {
  let stream: LogStream | undefined;
  let parts: Buffer[] = [];
  let start = 0;
  for (let nl = lines.indexOf(0x0a); nl >= 0; nl = lines.indexOf(0x0a, start)) {
    const record = parseLogLine(lines.subarray(start, nl));
    start = nl + 1;
    if (!record) continue;
    if (options.since !== undefined || options.until !== undefined) {
      const at = Date.parse(record.time);
      if ((options.since !== undefined && at < options.since) || (options.until !== undefined && at > options.until)) continue;
    }
    if (record.stream !== stream && parts.length) {
      yield { stream: stream!, data: Buffer.concat(parts) };
      parts = [];
    }
    stream = record.stream;
    if (line.start && options.prefix) parts.push(Buffer.from(options.prefix));
    if (line.start && options.timestamps) parts.push(Buffer.from(`${record.time} `));
    // The record's own newline ends a full line; a partial one continues in the next record.
    parts.push(record.partial ? record.content : lines.subarray(start - record.content.length - 1, start));
    line.start = !record.partial;
  }
  if (parts.length) yield { stream: stream!, data: Buffer.concat(parts) };
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A --since/--until TIMESTAMP as podman reads it, in ms since the epoch: an
 * RFC 3339 time or date (local time without a zone), a Unix time in
 * seconds, or a Go duration back from now (since) or on from now (until).
 * Throws InvalidArgumentError for anything else.
 */
export function parseInputTime(input: string, since: boolean, now = Date.now()): number {
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(input)) {
    const t = Date.parse(input.replace(' ', 'T'));
    if (!Number.isNaN(t)) return t;
  }
  if (/^\d+(\.\d*)?$/.test(input)) return Math.floor(Number(input)) * 1000;
  const duration = /^[+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/.test(input) ? parseGoDuration(input) : undefined;
  if (duration === undefined) throw new InvalidArgumentError(`unable to interpret time value "${input}"`, { hint: 'use an RFC 3339 time (2024-05-01T10:00:00Z), Unix seconds, or a duration such as 10m' });
  return since ? now - duration : now + duration;
}

function parseGoDuration(input: string): number {
  const sign = input.startsWith('-') ? -1 : 1;
  let ms = 0;
  for (const m of input.replace(/^[+-]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return sign * ms;
}

/**
 * The file offset where the last `lines` lines begin, found by reading
 * backwards from `size` in blocks. A line is a run of partial (P) records
 * ended by a full (F) one; partial records after the last full one (a line
 * still being written) come along without counting.
 */
export async function tailStart(handle: FileHandle, size: number, lines: number): Promise<number> {
  if (lines === 0) return size;
  let full = 0;
  /** Start of the record after the one being looked at. */
  let next = size;
  /** The first bytes after the current block, for a record that starts at its very end. */
  let ahead: Buffer = Buffer.alloc(0);
  const isFull = (buf: Buffer, at: number) => parseLogLine(headerAt(buf, at))?.partial === false;
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - BLOCK);
    const block = Buffer.allocUnsafe(end - start);
    await handle.read(block, 0, block.length, start);
    const buf = Buffer.concat([block, ahead]);
    for (let i = block.length - 1; i >= -1; i--) {
      // A record starts after each newline, and at offset 0.
      if (i >= 0 && block[i] !== 0x0a) continue;
      if (i < 0 && start > 0) break;
      const recordStart = start + i + 1;
      if (recordStart >= size) continue;
      if (isFull(buf, i + 1)) {
        full++;
        if (full > lines) return next;
      }
      next = recordStart;
    }
    ahead = buf.subarray(0, Math.min(buf.length, HEADER_MAX));
    end = start;
  }
  return 0;
}

/** A record's header bytes (enough to parse its stream and flag), from `at` in `buf`. */
function headerAt(buf: Buffer, at: number): Buffer {
  const slice = buf.subarray(at, at + HEADER_MAX);
  const nl = slice.indexOf(0x0a);
  return nl < 0 ? slice : slice.subarray(0, nl);
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await fsp.open(path, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}
