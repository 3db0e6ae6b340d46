import { promises as fsp } from 'node:fs';
import { parseLogLine, type LogStream } from '../monitor/log-writer.js';
import { isErrno } from '../util/errors.js';
import { sleep } from '../util/fs.js';
import type { EngineContext } from './context.js';
import { loadContainer, resolveContainer } from './container-record.js';

export interface ContainerLogsOptions {
  follow: boolean;
  /** Only the last N lines; undefined for all. */
  tail?: number;
  timestamps: boolean;
}

export interface LogChunk {
  stream: LogStream;
  /** The container's bytes as it wrote them. */
  data: Buffer;
}

/**
 * Yields a container's output from its log file: whole history (or the last
 * `tail` lines), then, with `follow`, new output until the container exits.
 */
export async function* containerLogs(ctx: EngineContext, nameOrId: string, options: ContainerLogsOptions): AsyncGenerator<LogChunk> {
  const info = await resolveContainer(ctx, nameOrId);
  const path = ctx.layout.containerLog(info.record.id);
  let offset = 0;
  let pending: Buffer = Buffer.alloc(0);
  let first = true;
  for (;;) {
    const { data, size } = await readFrom(path, offset);
    offset = size;
    const lines = splitLines(Buffer.concat([pending, data]));
    pending = lines.pop() ?? Buffer.alloc(0);
    let records = lines.map(parseLogLine).filter((r) => r !== undefined);
    if (first && options.tail !== undefined) {
      // Count whole lines: a run of partial records ends in a full one.
      let full = 0;
      let cut = records.length;
      for (let i = records.length - 1; i >= 0; i--) {
        if (!records[i]!.partial) {
          if (full === options.tail) break;
          full++;
        }
        cut = i;
      }
      records = options.tail === 0 ? [] : records.slice(cut);
    }
    first = false;
    for (const r of records) {
      const prefix = options.timestamps ? `${r!.time} ` : '';
      yield { stream: r!.stream, data: Buffer.concat([Buffer.from(prefix), r!.content, r!.partial ? Buffer.alloc(0) : Buffer.from('\n')]) };
    }
    if (!options.follow) return;
    const current = await loadContainer(ctx, info.record.id);
    if (!current || current.state.status !== 'running') {
      const rest = await readFrom(path, offset);
      if (rest.size === offset) return;
      continue;
    }
    await sleep(100);
  }
}

/** Splits at newlines; the last element is what follows the last newline. */
function splitLines(data: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
    lines.push(data.subarray(start, nl));
    start = nl + 1;
  }
  lines.push(data.subarray(start));
  return lines;
}

async function readFrom(path: string, offset: number): Promise<{ data: Buffer; size: number }> {
  let handle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { data: Buffer.alloc(0), size: offset };
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size <= offset) return { data: Buffer.alloc(0), size: offset };
    const buf = Buffer.alloc(size - offset);
    await handle.read(buf, 0, buf.length, offset);
    return { data: buf, size };
  } finally {
    await handle.close();
  }
}
