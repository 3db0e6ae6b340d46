// --tail reads the k8s-file log backwards in 256 KiB blocks; a record may
// start anywhere relative to a block boundary, and a line may be made of
// several partial (P) records. Checked against a plain front-to-back count.
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { tailStart } from '../../../src/engine/container/logs.js';
import { LogWriter } from '../../../src/store/container-log.js';

/** The same answer, the slow way: the offset after the (n+1)-th full record from the end. */
function expectedStart(log: Buffer, n: number): number {
  if (n === 0) return log.length;
  const starts: Array<{ at: number; end: number; full: boolean }> = [];
  let at = 0;
  while (at < log.length) {
    const end = log.indexOf(0x0a, at) + 1;
    const fields = log.subarray(at, end).toString('latin1').split(' ');
    starts.push({ at, end, full: fields[2] === 'F' });
    at = end;
  }
  let full = 0;
  for (let i = starts.length - 1; i >= 0; i--) {
    if (starts[i]!.full && ++full > n) return starts[i]!.end;
  }
  return 0;
}

test('tailStart agrees with a front-to-back count across block boundaries', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-logs-'));
  try {
    const path = join(dir, 'ctr.log');
    const writer = new LogWriter(path);
    // Pseudo-random record sizes (fixed seed), some lines split into partial records, some empty.
    let seed = 7;
    const random = (max: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % max;
    for (let i = 0; i < 3000; i++) {
      const body = Buffer.alloc(random(700), 0x61 + (i % 26));
      const partial = random(4) === 0;
      writer.write(random(2) ? 'stdout' : 'stderr', partial ? body : Buffer.concat([body, Buffer.from('\n')]));
    }
    writer.write('stdout', Buffer.from('trailing, unfinished'));
    writer.close();
    const log = await readFile(path);
    t.true(log.length > 3 * 256 * 1024, 'the log spans several blocks');
    const handle = await open(path, 'r');
    try {
      for (const n of [0, 1, 2, 3, 10, 100, 499, 500, 1000, 2000, 2999, 3000, 5000]) {
        t.is(await tailStart(handle, log.length, n), expectedStart(log, n), `--tail ${n}`);
      }
    } finally {
      await handle.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
