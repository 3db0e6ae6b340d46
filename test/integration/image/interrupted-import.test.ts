// An `import` whose CLI is killed mid-way (SIGTERM, or SIGKILL that no
// handler sees): the worker re-executed inside the user namespace must stop
// with it (it used to finish the import on its own), no image may appear,
// and the temp data it left (a blob being written, a layer being extracted)
// must be removed by `system prune`, `image prune` or the next import,
// while the temp data of an import that is still running is left alone.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, createReadStream, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import tar from 'tar-stream';
import { newTestEnv, poll, SKIFF_BIN, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
let work: string;
let bigTar: string;
const MIB = 1024 * 1024;
const SIZE_MIB = 50;

test.before(async () => {
  env = await newTestEnv();
  work = await mkdtemp(join(tmpdir(), 'skint-'));
  // 50 MiB of random bytes: nothing compresses it, so each stage takes real time and space.
  bigTar = join(work, 'big.tar');
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(bigTar));
  const entry = pack.entry({ name: 'big.bin', size: SIZE_MIB * MIB }, (err) => { if (err) throw err; });
  for (let i = 0; i < SIZE_MIB; i++) {
    if (!entry.write(randomBytes(MIB))) await new Promise<void>((r) => entry.once('drain', () => r()));
  }
  entry.end(() => undefined);
  pack.finalize();
  await writing;
});

test.after.always(async () => {
  await env?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

// A failed test must not leave an import running (it would hold ava open).
test.afterEach.always(async () => {
  for (const pid of await importProcesses()) process.kill(pid, 'SIGKILL');
});

const list = async (dir: string) => (await readdir(join(env.root, dir)).catch(() => [] as string[])).sort();
/** Everything import writes before it is complete: graphroot/tmp/* and layers/.tmp-*. */
const tempData = async () => [...(await list('tmp')).map((n) => `tmp/${n}`), ...(await list('layers')).filter((n) => n.startsWith('.tmp-')).map((n) => `layers/${n}`)];
const imageIds = async () => (await env.skiff(['images', '-q', '--no-trunc'])).lines;

/** Pids of processes (the CLI and its namespaced worker) running `import` against this test's store. */
async function importProcesses(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const argv = (await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv.includes(env.root) && argv.includes('import')) pids.push(Number(name));
  }
  return pids;
}

interface RunningImport {
  child: ChildProcess;
  /** The import's stdin. Not the child's own stdin pipe: Node closes that when the CLI exits, which would end the worker's input too. */
  input: WriteStream;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

let fifos = 0;

/** Starts `skiff import - NAME` reading, through a FIFO, what this test writes. */
function startImport(name: string): RunningImport {
  const fifo = join(work, `in-${fifos++}`);
  execFileSync('mkfifo', [fifo]);
  const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const input = createWriteStream('', { fd: openSync(fifo, constants.O_WRONLY) });
  input.on('error', () => undefined); // EPIPE once the worker is gone
  const child = spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'import', '-', name], { stdio: [readEnd, 'ignore', 'pipe'] });
  closeSync(readEnd);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    // Not waiting for stderr to end: a worker that outlives the CLI holds it open.
    child.once('exit', (code, signal) => setTimeout(() => resolve({ code, signal, stderr }), 200));
  });
  return { child, input, exited };
}

/** Writes bytes [from, to) of the big tarball to the import's stdin. */
async function feed(run: RunningImport, from: number, to: number): Promise<void> {
  for await (const chunk of createReadStream(bigTar, { start: from, end: to - 1 })) {
    if (!run.input.write(chunk)) await new Promise<void>((r) => run.input.once('drain', () => r()));
  }
}

for (const [signal, prune] of [['SIGTERM', ['image', 'prune', '-af']], ['SIGKILL', ['system', 'prune', '-f']]] as const) {
  test.serial(`${signal} of the CLI mid-import stops the namespaced worker; no image appears; ${prune.join(' ')} removes the temp data`, async (t) => {
    const before = await imageIds();
    const run = startImport(`localhost/killed-${signal.toLowerCase()}`);
    await feed(run, 0, 20 * MIB);
    t.truthy(await poll(async () => (await tempData()).length > 0, 20_000), 'temp data appears while the import runs');
    t.true((await importProcesses()).length >= 2, 'the CLI and its worker run');

    run.child.kill(signal);
    const exit = await run.exited;
    t.log(`CLI exit: code ${exit.code} signal ${exit.signal}; stderr: ${exit.stderr.trim()}`);
    // The test still holds the import's stdin open: only the CLI's death can stop the worker.
    const gone = await poll(async () => (await importProcesses()).length === 0, 10_000);
    const left = await importProcesses();
    for (const pid of left) process.kill(pid, 'SIGKILL');
    run.input.destroy();
    t.true(gone, `no import process remains (left: ${left.join(' ')})`);
    t.deepEqual(await imageIds(), before, 'no image appeared');

    t.not((await tempData()).length, 0, 'the killed import left temp data');
    await env.skiff([...prune]);
    t.deepEqual(await tempData(), [], `${prune.join(' ')} removed the orphaned temp data`);
  });
}

test.serial('the next import removes temp data an interrupted one left; a running import keeps its own', async (t) => {
  const killed = startImport('localhost/orphan');
  await feed(killed, 0, 10 * MIB);
  await poll(async () => (await tempData()).length > 0, 20_000);
  killed.child.kill('SIGKILL');
  await killed.exited;
  await poll(async () => (await importProcesses()).length === 0, 10_000);
  killed.input.destroy();
  const orphaned = await tempData();
  t.not(orphaned.length, 0);

  // A second import starts and sits mid-stream: the orphan goes, its own temp data stays.
  const running = startImport('localhost/survivor');
  await feed(running, 0, 10 * MIB);
  const ownTemp = await poll(async () => (await tempData()).filter((n) => !orphaned.includes(n)), 20_000);
  t.true(ownTemp.length > 0, 'the running import has temp data');
  t.truthy(await poll(async () => (await tempData()).every((n) => !orphaned.includes(n)), 10_000), 'the orphan was removed by the next import');

  // Neither a prune nor another command of the same kind may touch a live import's temp data.
  await env.skiff(['system', 'prune', '-f']);
  await env.skiff(['image', 'prune', '-f']);
  const small = join(work, 'small.tar');
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(small));
  pack.entry({ name: 'hello' }, 'hello\n');
  pack.finalize();
  await writing;
  await env.skiff(['import', small, 'localhost/small']);
  for (const name of ownTemp) t.true((await tempData()).includes(name), `${name} of the running import is still there`);

  await feed(running, 10 * MIB, (await stat(bigTar)).size);
  running.input.end();
  const exit = await running.exited;
  t.is(exit.code, 0, exit.stderr);
  t.true((await env.skiff(['images', '--format', '{{.Repository}}'])).lines.includes('localhost/survivor'));
  t.deepEqual(await tempData(), [], 'a finished import leaves no temp data');
});
