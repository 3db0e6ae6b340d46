import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';

/*
 * A container's log file (containers/<id>/ctr.log): the monitor writes it,
 * `skiff logs` reads it. The format lives here, with the rest of the
 * container's on-disk state, so neither side knows the other's internals.
 */

export type LogStream = 'stdout' | 'stderr';

/**
 * Writes container output in the k8s-file format podman uses: one line per
 * record, `TIMESTAMP STREAM F|P CONTENT`, where P marks a partial line whose
 * content continues in the next record. CONTENT is the container's bytes as
 * they came, never decoded: output need not be text, and a UTF-8 character
 * may be split across two reads.
 */
export class LogWriter {
  private readonly fd: number;
  private readonly maxSize?: number;
  private size: number;

  /** `maxSize`: past this many bytes the log is emptied and begins again, as conmon's log-size-max. */
  constructor(path: string, options: { maxSize?: number } = {}) {
    this.fd = openSync(path, 'a', 0o600);
    this.maxSize = options.maxSize;
    this.size = fstatSync(this.fd).size;
  }

  write(stream: LogStream, data: Buffer): void {
    const ts = timestamp();
    const full = Buffer.from(`${ts} ${stream} F `);
    // One [header, content] pair per record.
    const records: Buffer[][] = [];
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      if (nl < 0) break;
      records.push([full, data.subarray(start, nl + 1)]);
      start = nl + 1;
    }
    if (start < data.length) records.push([Buffer.from(`${ts} ${stream} P `), data.subarray(start), NEWLINE]);
    // Synchronous on purpose: the log must be complete before the exit is reported.
    if (this.maxSize === undefined) {
      this.append(Buffer.concat(records.flat()));
      return;
    }
    // Checked per record, so the log stays within max-size unless one record alone is larger.
    for (const record of records) {
      const out = Buffer.concat(record);
      if (this.size > 0 && this.size + out.length > this.maxSize) {
        // Opened for appending: after the truncation writes go to the start again.
        ftruncateSync(this.fd, 0);
        this.size = 0;
      }
      this.append(out);
    }
  }

  private append(out: Buffer): void {
    for (let done = 0; done < out.length;) done += writeSync(this.fd, out, done);
    this.size += out.length;
  }

  close(): void {
    closeSync(this.fd);
  }
}

const NEWLINE = Buffer.from('\n');

/** RFC 3339 with nanosecond digits, as podman writes them. */
function timestamp(): string {
  const now = new Date();
  const iso = now.toISOString(); // 2026-11-23T06:47:56.123Z
  return `${iso.slice(0, 23)}000000+00:00`;
}

export interface LogRecord {
  time: string;
  stream: LogStream;
  partial: boolean;
  /** The container's bytes, without the record's newline (a view into the line). */
  content: Buffer;
}

/** Parses one k8s-file log line (without its newline); returns undefined for a malformed one. */
export function parseLogLine(line: Buffer): LogRecord | undefined {
  const a = line.indexOf(0x20);
  const b = a < 0 ? -1 : line.indexOf(0x20, a + 1);
  const c = b < 0 ? -1 : line.indexOf(0x20, b + 1);
  if (c < 0) return undefined;
  const stream = line.toString('latin1', a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  return { time: line.toString('latin1', 0, a), stream, partial: line[b + 1] === 0x50 /* P */, content: line.subarray(c + 1) };
}
