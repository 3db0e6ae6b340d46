// `skiff export` of a running container that keeps swapping its files for
// symlinks to a host file: export runs on the host side, as the user, so a
// walk that checks a path with lstat and then opens it by name reads the
// host file whenever the swap lands in between. The sentinel is readable by
// the test user and as long as the container's file, so nothing but its
// content would give it away; it must never appear in an exported tar, on
// either driver. Bounded: a few exports over a few seconds per driver.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';

// A store keeps the driver it was made with: one per driver.
const envs = { overlay: useBusyboxEnv(), vfs: useBusyboxEnv() };
let work: string;
/** A host file and a host directory of files, both readable by the test user. */
let sentinel: string;
let sentinelDir: string;
const SECRET = `SKIFF-HOST-SECRET-${randomBytes(8).toString('hex')}`;
/** The container's own content for the swapped files: as long as SECRET, so sizes give nothing away. */
const OWN = 'c'.repeat(SECRET.length);
const FILES = 200;
const EXPORT_FOR_MS = 4_000;

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skexr-'));
  sentinel = join(work, 'sentinel');
  sentinelDir = join(work, 'sentinel-dir');
  await writeFile(sentinel, `${SECRET}\n`, { mode: 0o644 });
  await mkdir(sentinelDir);
  for (let n = 1; n <= FILES; n++) await writeFile(join(sentinelDir, `f${n}`), `${SECRET}\n`, { mode: 0o644 });
});

test.after.always(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * Swaps, as fast as sh can: /w/f between a regular file and a symlink to
 * the host file, and /w/d (FILES files named as in the host directory)
 * between a directory and a symlink to the host directory.
 */
const swapLoop = () => `mkdir -p /w/d && cd /w && for n in $(seq ${FILES}); do echo ${OWN} > d/f$n; done
while :; do
  busybox mv d d.real && busybox ln -s ${sentinelDir} d
  echo ${OWN} > t && busybox mv -f t f
  rm d && busybox mv d.real d
  busybox ln -sf ${sentinel} f
done`;

for (const driver of ['vfs', 'overlay'] as const) {
  test.serial(`${driver}: export of a running container never follows a symlink swapped in to a host file`, async (t) => {
    const name = `racer-${driver}`;
    await envs[driver].skiff(['--storage-driver', driver, 'run', '-d', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', swapLoop()]);
    try {
      const deadline = Date.now() + EXPORT_FOR_MS;
      let exports = 0;
      let raced = 0;
      let leaked = 0;
      const failed: string[] = [];
      while (Date.now() < deadline || raced < 3) {
        // To stdout, so that even a failed export shows what it had written.
        const result = await envs[driver].skiff(['export', name]).catch((err: Error) => err);
        const bytes = result instanceof Error ? result.message : result.stdout;
        if (bytes.includes(SECRET)) leaked++;
        if (result instanceof Error) failed.push(result.message.replace(/--- stdout ---[^]*--- stderr ---/, '').slice(0, 500));
        // Counts the exports that walked the swapping files (the loop may not have started for the first).
        if (bytes.includes('w/f')) raced++;
        exports++;
        if (Date.now() > deadline + 10_000) break;
      }
      t.log(`${exports} exports, ${raced} during the swaps, ${leaked} leaked, ${failed.length} failed`);
      t.is(leaked, 0, "exports holding a host file's content");
      t.deepEqual(failed, [], 'every export succeeds');
      t.true(raced >= 3, 'the exports ran while the container swapped its files');
      t.is(await readFile(sentinel, 'utf8'), `${SECRET}\n`);
    } finally {
      await envs[driver].skiff(['rm', '-f', '-t', '0', name]);
    }
  });
}
