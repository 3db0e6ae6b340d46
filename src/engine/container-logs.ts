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
  data: string;
}

/**
 * Yields a container's output from its log file: whole history (or the last
 * `tail` lines), then, with `follow`, new output until the container exits.
 */
export async function* containerLogs(ctx: EngineContext, nameOrId: string, options: ContainerLogsOptions): AsyncGenerator<LogChunk> {
  const info = await resolveContainer(ctx, nameOrId);
  const path = ctx.layout.containerLog(info.record.id);
  let offset = 0;
  let pending = '';
  let first = true;
  for (;;) {
    const { text, size } = await readFrom(path, offset);
    offset = size;
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
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
      yield { stream: r!.stream, data: prefix + r!.content + (r!.partial ? '' : '\n') };
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

async function readFrom(path: string, offset: number): Promise<{ text: string; size: number }> {
  let handle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { text: '', size: offset };
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size <= offset) return { text: '', size: offset };
    const buf = Buffer.alloc(size - offset);
    await handle.read(buf, 0, buf.length, offset);
    return { text: buf.toString('utf8'), size };
  } finally {
    await handle.close();
  }
}
