// zstd layers go through the zstd program; without it, pull and push of
// zstd data fail with one clear line naming what to install (this file's
// process has a PATH with no zstd on it: ava runs each file on its own).
import test from 'ava';
import { compressor, decompressor } from '../../../../src/image/layer/compression.js';
import { SkiffError } from '../../../../src/util/errors.js';

process.env.PATH = '/nonexistent-skiff-test-path';

test('without the zstd program a zstd layer is refused with EZSTD and a hint; gzip still works', async (t) => {
  for (const make of [() => decompressor('zstd'), () => compressor('zstd')]) {
    const err = await t.throwsAsync(make(), { instanceOf: SkiffError });
    t.is(err?.code, 'EZSTD');
    t.regex(err?.message ?? '', /need the zstd program/);
    t.regex(err?.hint ?? '', /apt-get install zstd/);
  }
  t.truthy(await decompressor('gzip'));
});
