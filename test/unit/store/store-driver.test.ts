// The driver a graph root was made with: recorded once (the first writer
// wins), read back, and another refused with podman's message.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { assertStoreDriver, readStoreDriver, recordStoreDriver, storeDriverFile } from '../../../src/store/drivers/store-driver.js';

const root = () => mkdtempSync(join(tmpdir(), 'sdr-'));

test('a new store has none; the first record wins and later ones get it back', (t) => {
  const dir = root();
  t.is(readStoreDriver(dir), undefined);
  t.is(recordStoreDriver(dir, 'vfs'), 'vfs');
  t.is(recordStoreDriver(dir, 'overlay'), 'vfs');
  t.is(readStoreDriver(dir), 'vfs');
  t.deepEqual(readdirSync(dir), ['storage-driver.json'], 'no temp file left');
});

test("another driver is refused with podman's message; the same one passes", (t) => {
  const dir = root();
  recordStoreDriver(dir, 'vfs');
  t.notThrows(() => assertStoreDriver(dir, 'vfs'));
  const err = t.throws(() => assertStoreDriver(dir, 'overlay'));
  t.is(err?.message, 'database storage graph driver "vfs" does not match our storage graph driver "overlay": database configuration mismatch');
  t.notThrows(() => assertStoreDriver(root(), 'overlay'), 'a store with none takes any');
});

test('a record naming an unknown driver is an error, not a guess', (t) => {
  const dir = root();
  writeFileSync(storeDriverFile(dir), '{"driver":"btrfs"}\n');
  t.throws(() => readStoreDriver(dir), { message: /names no storage driver skiff knows/ });
});
