import { Transform } from 'node:stream';

/** Extended attributes of one tar entry: name (user.foo) → raw value bytes. */
export type Xattrs = Map<string, Buffer>;

const BLOCK = 512;
const XATTR_PREFIX = 'SCHILY.xattr.';
/** Header types that describe the next entry rather than being one. */
const META_TYPES = new Set(['x', 'g', 'L', 'K']);

/**
 * A pass-through stream that reads the tar headers going by and collects
 * each entry's SCHILY.xattr.* pax records as raw bytes. tar-stream decodes
 * pax values as UTF-8 strings, which destroys binary values such as
 * security.capability; this reads them before that happens. Entries are
 * counted in the order tar-stream yields them, so `forEntry(n)` matches the
 * n-th entry of the extract loop. It only observes: on anything it does
 * not understand it stops collecting and lets the bytes through.
 */
export class PaxXattrCollector extends Transform {
  private readonly byEntry = new Map<number, { name: string; xattrs: Xattrs }>();
  private entryIndex = 0;
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes of the current entry's data (plus padding) still to skip, or the pax data to read. */
  private skip = 0;
  private paxRemaining = -1;
  private paxData: Buffer[] = [];
  private paxPadding = 0;
  private nextXattrs: Xattrs | undefined;
  private nextPath: string | undefined;
  private broken = false;

  /**
   * The xattrs of the n-th entry (0-based), if it had any and its name is
   * `name`: a second check that the two parsers agree on which entry it is.
   */
  forEntry(index: number, name: string): Xattrs | undefined {
    const found = this.byEntry.get(index);
    return found && sameName(found.name, name) ? found.xattrs : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (err: Error | null, data?: Buffer) => void): void {
    if (!this.broken) {
      try {
        this.observe(chunk);
      } catch {
        this.broken = true;
      }
    }
    callback(null, chunk);
  }

  private observe(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      if (this.paxRemaining >= 0) {
        const take = Math.min(this.paxRemaining, buf.length);
        this.paxData.push(buf.subarray(0, take));
        this.paxRemaining -= take;
        buf = buf.subarray(take);
        if (this.paxRemaining > 0) break;
        const records = parsePaxRecords(Buffer.concat(this.paxData));
        this.nextXattrs = records.xattrs;
        this.nextPath = records.path;
        this.paxData = [];
        this.paxRemaining = -1;
        this.skip = this.paxPadding;
      }
      if (this.skip > 0) {
        const take = Math.min(this.skip, buf.length);
        this.skip -= take;
        buf = buf.subarray(take);
        if (this.skip > 0) break;
      }
      if (buf.length < BLOCK) break;
      const header = buf.subarray(0, BLOCK);
      buf = buf.subarray(BLOCK);
      if (header.every((b) => b === 0)) continue; // end-of-archive blocks
      const type = String.fromCharCode(header[156] || 48);
      const size = parseSize(header.subarray(124, 136));
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (type === 'x') {
        this.paxRemaining = size;
        this.paxPadding = padded - size;
        continue;
      }
      if (!META_TYPES.has(type)) {
        if (this.nextXattrs?.size) this.byEntry.set(this.entryIndex, { name: this.nextPath ?? ustarName(header), xattrs: this.nextXattrs });
        this.nextXattrs = undefined;
        this.nextPath = undefined;
        this.entryIndex++;
      }
      this.skip = padded;
    }
    this.pending = Buffer.from(buf);
  }
}

/** Parses pax records ("LEN key=value\n") keeping xattr values as bytes; also the path record. */
export function parsePaxRecords(data: Buffer): { xattrs: Xattrs; path?: string } {
  const out: Xattrs = new Map();
  let path: string | undefined;
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number(data.toString('latin1', at, space));
    if (!Number.isInteger(len) || len <= 0 || at + len > data.length) throw new Error('malformed pax record');
    const record = data.subarray(space + 1, at + len - 1); // without the trailing newline
    const eq = record.indexOf(0x3d);
    if (eq > 0) {
      const key = record.toString('utf8', 0, eq);
      if (key.startsWith(XATTR_PREFIX)) out.set(key.slice(XATTR_PREFIX.length), Buffer.from(record.subarray(eq + 1)));
      else if (key === 'path') path = record.toString('utf8', eq + 1);
    }
    at += len;
  }
  return { xattrs: out, path };
}

/** prefix/name of a ustar header. */
function ustarName(header: Buffer): string {
  const field = (from: number, to: number) => header.toString('utf8', from, to).replace(/\0.*$/s, '');
  const name = field(0, 100);
  const prefix = header.toString('latin1', 257, 263).startsWith('ustar') ? field(345, 500) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function sameName(a: string, b: string): boolean {
  const clean = (n: string) => n.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
  return clean(a) === clean(b);
}

/** Octal, or base-256 for large sizes (GNU), as tar writes the size field. */
function parseSize(field: Buffer): number {
  if (field[0] & 0x80) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  const value = parseInt(text || '0', 8);
  if (!Number.isFinite(value)) throw new Error('bad size');
  return value;
}
