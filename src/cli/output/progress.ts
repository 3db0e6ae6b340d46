/**
 * Transfer progress on stderr, as podman prints it: on a terminal a block of
 * per-blob bars redrawn in place with ANSI cursor movement; elsewhere the
 * plain "Copying blob … done" lines, one per finished step. Nothing here
 * writes to stdout: results (the image id) stay the only stdout output.
 */

/** The 12 hex digits podman shows for a digest. */
export function shortDigest(digest: string): string {
  return digest.replace(/^[a-z0-9]+:/, '').slice(0, 12);
}

/** Bytes in binary units with one decimal, as podman's bars show them: 512B, 1.2MiB. */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.floor(bytes || 0))}B`;
  let value = bytes / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(1)}${units[i]}`;
}

/**
 * `[=====>------]`: `width` characters between the brackets. An unknown
 * (zero) total shows an empty bar; a complete one is all `=`.
 */
export function progressBar(done: number, total: number, width: number): string {
  const inner = Math.max(1, Math.floor(width));
  if (!(total > 0)) return `[${'-'.repeat(inner)}]`;
  const filled = Math.floor((Math.min(Math.max(done, 0), total) / total) * inner);
  if (filled >= inner) return `[${'='.repeat(inner)}]`;
  return `[${'='.repeat(filled)}>${'-'.repeat(inner - filled - 1)}]`;
}

const MIN_BAR = 10;
const MAX_BAR = 50;

/**
 * `Copying blob 566550fac02e [=====>------] 1.2MiB / 2.0MiB`, its bar sized
 * so the line fits in `columns` (between 10 and 50 characters wide).
 */
export function blobBarLine(digest: string, done: number, total: number, columns = 80): string {
  const head = `Copying blob ${shortDigest(digest)} `;
  const tail = ` ${formatBytes(Math.min(done, total > 0 ? total : done))} / ${formatBytes(total)}`;
  const room = columns - 1 - head.length - tail.length - 2;
  const width = Math.min(MAX_BAR, Math.max(MIN_BAR, room));
  return `${head}${progressBar(done, total, width)}${tail}`;
}

/** The plain lines, exactly as pull has always printed them. */
export const blobDoneLine = (digest: string) => `Copying blob ${shortDigest(digest)} done`;
export const blobExistsLine = (digest: string) => `Copying blob ${shortDigest(digest)} skipped: already exists`;
export const configDoneLine = (digest: string) => `Copying config ${shortDigest(digest)} done`;
export const WRITING_MANIFEST = 'Writing manifest to image destination';

export type ProgressMode = 'none' | 'plain' | 'tty';

/** none with -q; tty on a terminal that understands cursor movement; plain otherwise. */
export function progressMode(quiet: boolean, isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env): ProgressMode {
  if (quiet) return 'none';
  if (isTTY && env.TERM !== 'dumb') return 'tty';
  return 'plain';
}

/** Colour unless NO_COLOR is set to anything non-empty (no-color.org). */
export function colorEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.NO_COLOR;
}

/** Fits a line in the terminal width: a wrapped line would break the cursor arithmetic. */
export function fitLine(text: string, columns: number): string {
  const max = Math.max(1, columns - 1);
  return text.length > max ? text.slice(0, max) : text;
}

const GREEN = '\x1b[32m';
const RESET = '\x1b[0m';
const CLEAR_LINE = '\x1b[2K';
const cursorUp = (n: number) => `\r\x1b[${n}A`;

/** Where the renderer writes: process.stderr, or a fake in tests. */
export interface ProgressSink {
  write(text: string): unknown;
  columns?: number;
}

interface Row {
  key?: string;
  text: string;
  /** Still changing: it and every row below it are redrawn. */
  live: boolean;
}

/**
 * Redraws the rows that may still change, in place. Rows above the first
 * live one are final and are left as printed. Structural changes (a new row,
 * a row becoming final) draw at once; byte updates at most every
 * `intervalMs`.
 */
export class TerminalProgress {
  private rows: Row[] = [];
  /** Rows of `rows` currently on screen (the cursor is on the line below them). */
  private drawn = 0;
  private lastDraw = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly color: boolean;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(private readonly sink: ProgressSink, options: { color?: boolean; intervalMs?: number; now?: () => number } = {}) {
    this.color = options.color ?? colorEnabled();
    this.intervalMs = options.intervalMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  /** A final line (Trying to pull…, Copying config … done). */
  log(text: string): void {
    this.rows.push({ text, live: false });
    this.draw();
  }

  /** Sets the row `key` (added at the bottom the first time). Live rows redraw throttled. */
  set(key: string, text: string, live: boolean): void {
    const row = this.rows.find((r) => r.key === key);
    if (!row) {
      this.rows.push({ key, text, live });
      this.draw();
    } else if (row.live && !live) {
      row.text = text;
      row.live = false;
      this.draw();
    } else if (row.text !== text) {
      row.text = text;
      row.live = live;
      this.schedule();
    }
  }

  /** Draws what is pending and stops the timer; the block stays on screen. */
  finish(): void {
    for (const row of this.rows) row.live = false;
    this.draw();
  }

  get columns(): number {
    return this.sink.columns && this.sink.columns > 0 ? this.sink.columns : 80;
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = this.intervalMs - (this.now() - this.lastDraw);
    if (wait <= 0) {
      this.draw();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, wait);
    this.timer.unref?.();
  }

  private draw(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.lastDraw = this.now();
    if (this.rows.length === 0) return;
    let out = this.drawn > 0 ? cursorUp(this.drawn) : '';
    for (const row of this.rows) out += `${CLEAR_LINE}${this.paint(fitLine(row.text, this.columns))}\n`;
    this.sink.write(out);
    // Rows above the first live one never change again: leave them be.
    const firstLive = this.rows.findIndex((r) => r.live);
    this.rows = firstLive < 0 ? [] : this.rows.slice(firstLive);
    this.drawn = this.rows.length;
  }

  private paint(text: string): string {
    return this.color ? text.replace(/ done$/, ` ${GREEN}done${RESET}`) : text;
  }
}

/**
 * The plain progress lines of an image copy (save, load): podman's
 * "Getting image source signatures" header comes with the first line, so a
 * copy that fails early prints only its error; -q prints nothing.
 */
export function copyLines(quiet: boolean): (line: string) => void {
  let started = false;
  return (line) => {
    if (quiet) return;
    if (!started) process.stderr.write('Getting image source signatures\n');
    started = true;
    process.stderr.write(line + '\n');
  };
}
