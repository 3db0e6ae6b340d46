// Extended attributes from pax headers reach the extracted files byte for
// byte (tar-stream alone would decode binary values as UTF-8 and mangle
// them), only in allowed namespaces, and only on the entry they belong to.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import test from 'ava';
import { extractLayer } from '../../../../src/image/layer/extract.js';
import { parsePaxRecords } from '../../../../src/image/layer/pax-xattrs.js';

/** A ustar header block, written by hand: tar-stream cannot emit binary pax values. */
function header(name: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'latin1');
  h.write('0001750\0', 108, 'latin1');
  h.write('0001750\0', 116, 'latin1');
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write('14500000000\0', 136, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.fill(0x20, 148, 156); // checksum counts its own field as spaces
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

const BINARY = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0xff, 0xfe, 0x20, 0x0a]);

function tarWithXattrs(): Buffer {
  const pax = Buffer.concat([
    paxRecord('SCHILY.xattr.user.bin', BINARY),
    paxRecord('SCHILY.xattr.user.text', Buffer.from('hello')),
    paxRecord('SCHILY.xattr.trusted.secret', Buffer.from('no')),
  ]);
  const content = Buffer.from('data\n');
  return Buffer.concat([
    header('PaxHeaders/withattrs', pax.length, 'x'), pad(pax),
    header('withattrs', content.length, '0'), pad(content),
    header('plain', content.length, '0'), pad(content),
    Buffer.alloc(1024),
  ]);
}

function getfattrHex(path: string): string {
  return execFileSync('getfattr', ['-d', '-m', '-', '-e', 'hex', path], { encoding: 'utf8' });
}

test('pax records keep binary xattr values as bytes', (t) => {
  const parsed = parsePaxRecords(paxRecord('SCHILY.xattr.user.bin', BINARY));
  t.deepEqual(parsed.xattrs.get('user.bin'), BINARY);
});

test('user.* xattrs are applied byte for byte, trusted.* skipped, and only on their own entry', async (t) => {
  const parent = await mkdtemp(join(tmpdir(), 'skx-'));
  const root = join(parent, 'root');
  try {
    await extractLayer(Readable.from([tarWithXattrs()]), root, { chown: false, whiteouts: 'none' });
    t.is(await readFile(join(root, 'withattrs'), 'utf8'), 'data\n');
    const attrs = getfattrHex(join(root, 'withattrs'));
    t.regex(attrs, new RegExp(`user\\.bin=0x${BINARY.toString('hex')}`));
    t.regex(attrs, /user\.text=0x68656c6c6f/);
    t.notRegex(attrs, /trusted\./);
    t.notRegex(getfattrHex(join(root, 'plain')), /user\./);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});
