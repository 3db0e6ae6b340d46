// A real ENOSPC (writing to /dev/full), wrapped the way the extractors wrap
// write errors, is reported as "no space left on device", not as the wrapper.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import { SkiffError } from '../../../src/util/errors.js';
import { NoSpaceError, noSpaceErrno, reportingNoSpace } from '../../../src/util/no-space.js';

async function writeToFullDevice(): Promise<never> {
  try {
    await pipeline(Readable.from([Buffer.alloc(65536)]), createWriteStream('/dev/full'));
  } catch (err) {
    throw new SkiffError('ECORRUPT', `the archive is corrupt or truncated: ${(err as Error).message}`, { cause: err });
  }
  throw new Error('/dev/full accepted the write');
}

test('a wrapped ENOSPC becomes one NoSpaceError naming what failed', async (t) => {
  const err = await t.throwsAsync(reportingNoSpace('cannot load the archive: writing to /store', writeToFullDevice));
  t.true(err instanceof NoSpaceError);
  t.is(err!.message, 'cannot load the archive: writing to /store: no space left on device');
  t.is((err as SkiffError).code, 'ENOSPC');
});

test('other errors pass through unchanged; a NoSpaceError is not wrapped twice', async (t) => {
  const other = new SkiffError('ECORRUPT', 'bad');
  t.is(await t.throwsAsync(reportingNoSpace('x', () => Promise.reject(other))), other);
  const inner = await t.throwsAsync(reportingNoSpace('inner', writeToFullDevice));
  t.is(await t.throwsAsync(reportingNoSpace('outer', () => Promise.reject(inner))), inner);
  t.is(noSpaceErrno(inner), undefined);
});
