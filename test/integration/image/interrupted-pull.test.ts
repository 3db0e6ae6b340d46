// A `pull` killed with -9 mid-download: its namespaced worker stops with it,
// no image appears, and the half-downloaded blob it left in graphroot/tmp is
// removed by the next pull, which then completes. The registry is the real
// one, behind a throttling TCP proxy on 127.0.0.1 so the download takes long
// enough to be interrupted.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import tar from 'tar-stream';
import { startRegistry, type TestRegistry } from '../../helpers/registry.js';
import { newTestEnv, poll, SKIFF_BIN, type TestEnv } from '../../helpers/skiff.js';

const MIB = 1024 * 1024;
let env: TestEnv;
let source: TestEnv;
let reg: TestRegistry;
let proxy: Server;
let proxyPort: number;
let work: string;
/** Bytes per second the proxy passes from the registry; Infinity: no limit. */
let rate = 2 * MIB;

test.before(async () => {
  [env, source, reg] = await Promise.all([newTestEnv(), newTestEnv(), startRegistry()]);
  work = await mkdtemp(join(tmpdir(), 'skipull-'));
  const layer = join(work, 'l.tar');
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(layer));
  pack.entry({ name: 'random.bin' }, randomBytes(24 * MIB));
  pack.finalize();
  await writing;
  await source.skiff(['import', layer, 'localhost/big']);
  await source.skiff(['push', '--tls-verify=false', 'localhost/big', `docker://${reg.host}/big:latest`]);

  proxy = createServer((client) => {
    const upstream = connect(reg.port, '127.0.0.1');
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      if (rate === Infinity) return;
      upstream.pause();
      setTimeout(() => upstream.resume(), (chunk.length / rate) * 1000);
    });
    upstream.on('end', () => client.end());
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyPort = (proxy.address() as { port: number }).port;
});

test.after.always(async () => {
  proxy?.close();
  await Promise.all([env?.cleanup(), source?.cleanup(), reg?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

const list = async (dir: string) => (await readdir(join(env.root, dir)).catch(() => [] as string[])).sort();

async function pullProcesses(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const argv = (await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv.includes(env.root) && argv.includes('pull')) pids.push(Number(name));
  }
  return pids;
}

test.afterEach.always(async () => {
  for (const pid of await pullProcesses()) process.kill(pid, 'SIGKILL');
});

test.serial('kill -9 of pull mid-download: the worker stops, no image; the next pull removes the partial blob and completes', async (t) => {
  const ref = `127.0.0.1:${proxyPort}/big:latest`;
  const child = spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'pull', '--tls-verify=false', ref], { stdio: 'ignore' });
  // The config blob also passes through tmp/, briefly: wait for the 24 MiB layer's, part-written.
  const layerBlobGrowing = async () => {
    for (const name of (await list('tmp')).filter((n) => n.startsWith('blob-'))) {
      const size = await stat(join(env.root, 'tmp', name)).then((st) => st.size, () => 0);
      if (size >= MIB) return true;
    }
    return false;
  };
  const partial = await poll(layerBlobGrowing, 30_000);
  t.truthy(partial, 'a partial layer blob appears in tmp/ while the layer downloads');
  child.kill('SIGKILL');
  t.truthy(await poll(async () => (await pullProcesses()).length === 0, 10_000), 'no pull process remains');
  const left = await list('tmp');
  t.not(left.length, 0, 'the killed pull left its partial blob');
  t.deepEqual((await env.skiff(['images', '-q'])).lines, [], 'no image appeared');

  rate = Infinity;
  await env.skiff(['pull', '-q', '--tls-verify=false', ref], { timeout: 60_000 });
  t.deepEqual(await list('tmp'), [], 'the next pull removed the partial blob and left no temp data of its own');
  t.is((await env.skiff(['images', '-q'])).lines.length, 1);
});
