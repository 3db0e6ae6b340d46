// A monitor killed with -9 cannot undo the mounts it made for -v DIR:DST:O
// or release its hold on a -o type=tmpfs volume: the next command that
// repairs the container does (no mount left, the volume's count back).
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { sleep } from '../../helpers/skiff.js';
import { VolumeStore } from '../../../src/store/volumes.js';

const env = useBusyboxEnv();
let host: string;
test.before(async () => {
  host = await mkdtemp(join(tmpdir(), 'skkill-'));
  await writeFile(join(host, 'f'), 'lower\n');
});
test.after.always(async () => {
  if (host) await rm(host, { recursive: true, force: true });
});

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
}

test('rm after kill -9 of the monitor and the container: the overlay is unmounted, the tmpfs volume released', async (t) => {
  const volumes = join(env.root, 'volumes');
  const store = new VolumeStore(volumes);
  await store.withLock(() => store.addLocked({ name: 'tv', driver: 'local', createdAt: new Date().toISOString(), labels: {}, options: { type: 'tmpfs', device: 'tmpfs' }, anonymous: false, needsCopyUp: true, needsChown: true }));
  const id = (await env.skiff(['run', '-d', '--network', 'none', '-v', `${host}:/o:O`, '-v', 'tv:/tv', 'localhost/bb', 'sh', '-c', 'echo upper >/o/f; sleep 1000'])).stdout;
  const [monitorPid, pid] = (await env.skiff(['inspect', '--format', '{{.State.ConmonPid}} {{.State.Pid}}', id])).stdout.split(' ').map(Number) as [number, number];
  t.is(JSON.parse(await readFile(join(volumes, 'tv', 'volume.json'), 'utf8')).mountCount, 1);
  process.kill(monitorPid, 'SIGKILL');
  await waitGone(monitorPid);
  process.kill(pid, 'SIGKILL');
  await waitGone(pid);
  // The container's directory (with the overlay's merged dir) can only go once nothing is mounted on it.
  await env.skiff(['rm', '-f', id]);
  await t.throwsAsync(stat(join(env.root, 'containers', id)));
  t.is(JSON.parse(await readFile(join(volumes, 'tv', 'volume.json'), 'utf8')).mountCount, 0);
  t.is(await readFile(join(host, 'f'), 'utf8'), 'lower\n');
});
