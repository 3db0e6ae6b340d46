import { openSync, writeSync, closeSync } from 'node:fs';

export type LogStream = 'stdout' | 'stderr';

/**
 * Writes container output in the k8s-file format podman uses: one line per
 * record, `TIMESTAMP STREAM F|P CONTENT`, where P marks a partial line whose
 * content continues in the next record.
 */
export class LogWriter {
  private readonly fd: number;

  constructor(path: string) {
    this.fd = openSync(path, 'a', 0o600);
  }

  write(stream: LogStream, data: Buffer): void {
    const ts = timestamp();
    let out = '';
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      if (nl < 0) break;
      out += `${ts} ${stream} F ${data.toString('utf8', start, nl)}\n`;
      start = nl + 1;
    }
    if (start < data.length) out += `${ts} ${stream} P ${data.toString('utf8', start)}\n`;
    // Synchronous on purpose: the log must be complete before the exit is reported.
    writeSync(this.fd, out);
  }

  close(): void {
    closeSync(this.fd);
  }
}

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
  content: string;
}

/** Parses one k8s-file log line; returns undefined for a malformed one. */
export function parseLogLine(line: string): LogRecord | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  return { time: line.slice(0, a), stream, partial: line.slice(b + 1, c) === 'P', content: line.slice(c + 1) };
}
