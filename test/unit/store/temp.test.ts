// Temp data ownership: entries named after a process that is gone are
// removed (blobs in tmp/, half-extracted layers in layers/.tmp-*), those of a
// live process never are, even when its pid is reused by another process.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { StoreLayout } from '../../../src/store/layout.js';
import { removeOrphanedTemp, tempName } from '../../../src/store/temp.js';
import { processStartTime } from '../../../src/util/fs.js';

test('removeOrphanedTemp removes only temp data whose owner is gone', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'sktemp-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const layout = new StoreLayout(join(root, 'g'), join(root, 'r'));
  await mkdir(layout.tmpDir, { recursive: true });
  await mkdir(layout.layersDir, { recursive: true });

  // A real process that has exited: its pid names no live process with that start time.
  const dead = spawnSync('true').pid!;
  const mine = processStartTime(process.pid)!;
  const own = tempName('blob');
  const ownLayer = tempName('.tmp');
  t.regex(own, new RegExp(`^blob-${process.pid}-${mine}-[0-9a-f]+$`));
  const deadBlob = `blob-${dead}-12345-abcdef`;
  // Our own pid with another start time: a reused pid, so the owner is gone.
  const reused = `load-${process.pid}-${mine + 1}-abcdef`;
  const deadLayer = `.tmp-${dead}-12345-abcdef`;
  const oldUnowned = 'blob-0123456789abcdef';
  const newUnowned = 'blob-fedcba9876543210';
  await writeFile(join(layout.tmpDir, own), 'x');
  await writeFile(join(layout.tmpDir, deadBlob), Buffer.alloc(1000));
  await mkdir(join(layout.tmpDir, reused, 'root'), { recursive: true });
  await writeFile(join(layout.tmpDir, reused, 'root', 'f'), Buffer.alloc(10));
  await mkdir(join(layout.layersDir, ownLayer, 'diff'), { recursive: true });
  await mkdir(join(layout.layersDir, deadLayer, 'diff'), { recursive: true });
  await writeFile(join(layout.layersDir, deadLayer, 'diff', 'f'), Buffer.alloc(100));
  await mkdir(join(layout.layersDir, 'a'.repeat(64)));
  await writeFile(join(layout.tmpDir, oldUnowned), 'x');
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  await utimes(join(layout.tmpDir, oldUnowned), twoHoursAgo, twoHoursAgo);
  await writeFile(join(layout.tmpDir, newUnowned), 'x');
  // Not a name skiff's temp data ever had: never removed, however old.
  const foreign = 'export-0123abcd';
  await writeFile(join(layout.tmpDir, foreign), 'x');
  await utimes(join(layout.tmpDir, foreign), twoHoursAgo, twoHoursAgo);

  const report = await removeOrphanedTemp(layout);
  t.deepEqual((await readdir(layout.tmpDir)).sort(), [own, newUnowned, foreign].sort());
  t.deepEqual((await readdir(layout.layersDir)).sort(), [ownLayer, 'a'.repeat(64)].sort());
  t.is(report.removed.length, 4);
  t.is(report.bytes, 1000 + 10 + 100 + 1);
});
