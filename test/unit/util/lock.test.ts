// withLock is the one inter-process lock of the store. Real processes
// contend for it here, some killed with -9 while they hold it: the lock
// must never be held twice, and must be free at once when its holder dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { LockTimeoutError, withLock } from '../../../src/util/lock.js';

const WORKER = fileURLToPath(new URL('../../fixtures/lock-worker.js', import.meta.url));

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sk-lock-'));
}

function worker(lock: string, log: string, count: number, mode?: 'hold' | 'slow'): { child: ChildProcess; done: Promise<number | null> } {
  const child = spawn(process.execPath, [WORKER, lock, log, String(count), ...(mode ? [mode] : [])], { stdio: ['ignore', 'inherit', 'inherit'] });
  const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, done };
}

/**
 * Replays the log: a `start` needs the lock free (or its holder killed),
 * an `end` must be by the holder. Returns the violations.
 */
function overlaps(log: string, killed: Set<number>): string[] {
  const bad: string[] = [];
  let holder: number | undefined;
  log.split('\n').filter(Boolean).forEach((line, i) => {
    const [what, pidText] = line.split(' ') as [string, string];
    const pid = Number(pidText);
    if (what === 'start') {
      if (holder !== undefined && !killed.has(holder)) bad.push(`line ${i + 1}: ${pid} entered while ${holder} held the lock`);
      holder = pid;
    } else {
      if (holder !== pid) bad.push(`line ${i + 1}: ${pid} left a section held by ${holder}`);
      holder = undefined;
    }
  });
  return bad;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('8 processes x 50 critical sections never overlap', async (t) => {
  const dir = await tempDir();
  const lock = join(dir, 'lock');
  const log = join(dir, 'log');
  await writeFile(log, '');
  const workers = Array.from({ length: 8 }, () => worker(lock, log, 50));
  t.deepEqual(await Promise.all(workers.map((w) => w.done)), Array(8).fill(0));
  const text = await readFile(log, 'utf8');
  t.is(text.split('\n').filter((l) => l.startsWith('start')).length, 400);
  t.deepEqual(overlaps(text, new Set()), []);
  await rm(dir, { recursive: true, force: true });
});

test('holders killed with -9 inside the critical section free the lock at once', async (t) => {
  const dir = await tempDir();
  const lock = join(dir, 'lock');
  const log = join(dir, 'log');
  await writeFile(log, '');
  const killed = new Set<number>();
  const victims = Array.from({ length: 3 }, () => worker(lock, log, 1, 'hold'));
  const others = Array.from({ length: 5 }, () => worker(lock, log, 30));
  const waits: number[] = [];
  const byPid = new Map(victims.map((v) => [v.child.pid!, v]));
  while (killed.size < victims.length) {
    // Whichever victim holds the lock now (the last line is its start): kill it inside its section.
    const holder = await waitFor(async () => {
      const last = (await readFile(log, 'utf8')).trimEnd().split('\n').pop() ?? '';
      const pid = Number(last.split(' ')[1]);
      return last.startsWith('start ') && byPid.has(pid) && !killed.has(pid) ? pid : undefined;
    }, 60_000);
    if (holder === undefined) return t.fail('no victim ever got the lock');
    const before = (await readFile(log, 'utf8')).length;
    byPid.get(holder)!.child.kill('SIGKILL');
    await byPid.get(holder)!.done;
    killed.add(holder);
    const killedAt = Date.now();
    if (killed.size === victims.length && others.every((o) => o.child.exitCode !== null)) break;
    // Someone else must get in promptly: the others are all waiting.
    const next = await waitFor(async () => ((await readFile(log, 'utf8')).slice(before).includes('start ') ? true : undefined), 10_000);
    waits.push(Date.now() - killedAt);
    t.true(next, 'nobody took the lock after its holder was killed');
  }
  t.deepEqual(await Promise.all(others.map((w) => w.done)), Array(5).fill(0));
  t.log(`lock taken over after kill -9 in ${waits.join(', ')} ms`);
  for (const ms of waits) t.true(ms < 2_000, `took ${ms} ms`);
  t.deepEqual(overlaps(await readFile(log, 'utf8'), killed), []);
  await rm(dir, { recursive: true, force: true });
});

test('a lock left by a dead holder goes to exactly one of 8 waiters at a time', async (t) => {
  const dir = await tempDir();
  const lock = join(dir, 'lock');
  const log = join(dir, 'log');
  await writeFile(log, '');
  // A pid lock broken by two waiters at once was held by both.
  await writeFile(lock, '999999999');
  const workers = Array.from({ length: 8 }, () => worker(lock, log, 3, 'slow'));
  t.deepEqual(await Promise.all(workers.map((w) => w.done)), Array(8).fill(0));
  t.deepEqual(overlaps(await readFile(log, 'utf8'), new Set()), []);
  await rm(dir, { recursive: true, force: true });
});

const leftOver = test.macro({
  async exec(t, content: string) {
    const dir = await tempDir();
    const lock = join(dir, 'lock');
    await writeFile(lock, content);
    const started = Date.now();
    t.is(await withLock(lock, async () => 'got it', 5_000), 'got it');
    // Blocking would mean waiting out the 5 s timeout; the margin is for a loaded machine.
    t.true(Date.now() - started < 4_000);
    await rm(dir, { recursive: true, force: true });
  },
  title: (_provided, content: string) => `a lock file left ${JSON.stringify(content)} by a crash blocks nobody`,
});

test(leftOver, '');
test(leftOver, '999999999');
test(leftOver, 'garbage\n\u0000');

test('a held lock times out with one clear error', async (t) => {
  const dir = await tempDir();
  const lock = join(dir, 'lock');
  const log = join(dir, 'log');
  await writeFile(log, '');
  const holder = worker(lock, log, 1, 'hold');
  await waitFor(async () => ((await readFile(log, 'utf8')).includes('start') ? true : undefined), 30_000);
  const err = await t.throwsAsync(withLock(lock, async () => undefined, 300), { instanceOf: LockTimeoutError });
  t.regex(err!.message, /^timed out after 0.3 s waiting for the lock .*\/lock$/);
  holder.child.kill('SIGKILL');
  await holder.done;
  await rm(dir, { recursive: true, force: true });
});
