// VolumeStore: a volume exists exactly while its record does.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { NoSuchVolumeError, VolumeStore, type VolumeRecord } from '../../../src/store/volumes.js';

function record(name: string): VolumeRecord {
  return { name, driver: 'local', createdAt: new Date().toISOString(), labels: {}, options: {}, anonymous: false, needsCopyUp: true, needsChown: true };
}

async function withStore(fn: (s: VolumeStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sk-vol-'));
  try {
    await fn(new VolumeStore(join(dir, 'volumes')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('add, list, get and remove a volume', (t) => withStore(async (s) => {
  t.deepEqual(await s.list(), []);
  await s.withLock(() => s.addLocked(record('data')));
  await s.withLock(() => s.addLocked(record('app.cache')));
  t.deepEqual((await s.list()).map((v) => v.name), ['app.cache', 'data']);
  t.true((await stat(s.dataDir('data'))).isDirectory());
  t.is((await s.get('data')).name, 'data');
  t.true(await s.exists('data'));
  await s.withLock(() => s.removeLocked('data'));
  t.false(await s.exists('data'));
  await t.throwsAsync(s.get('data'), { instanceOf: NoSuchVolumeError, message: 'no volume with name "data" found: no such volume' });
  await t.throwsAsync(stat(s.volumeDir('data')), { code: 'ENOENT' });
}));

test('a directory without a record, or with a torn one, is no volume', (t) => withStore(async (s) => {
  await s.withLock(() => s.addLocked(record('whole')));
  await s.withLock(() => s.addLocked(record('torn')));
  await writeFile(join(s.volumeDir('torn'), 'volume.json'), '{"name": "to');
  await s.withLock(() => s.addLocked(record('bare')));
  await rm(join(s.volumeDir('bare'), 'volume.json'));
  t.deepEqual((await s.list()).map((v) => v.name), ['whole']);
  await t.throwsAsync(s.get('torn'), { instanceOf: NoSuchVolumeError });
}));

test('names that could escape the store are never looked up', (t) => withStore(async (s) => {
  await s.withLock(() => s.addLocked(record('v')));
  for (const bad of ['..', '../volumes/v', 'v/..', '', '.v']) {
    t.false(await s.exists(bad), bad);
    await t.throwsAsync(s.get(bad), { instanceOf: NoSuchVolumeError }, bad);
  }
}));
