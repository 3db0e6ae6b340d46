// Attached streams keep backpressure end to end: 300 MB into a container that
// does not read yet, or out of one to a reader that does not read yet, must
// not pile up in the CLI or the monitor (they grew to 391-487 MB RSS); the
// writer waits, as it would on a pipe.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { PROJECT_ROOT, SKIFF_BIN, sleep, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

const MiB = 1024 * 1024;
const SIZE = 300 * MiB;
const RSS_LIMIT_KIB = 150 * 1024;

/** Peak RSS (VmHWM, KiB) of a container's monitor, sampled until `stop` is called; found through inspect. */
function watchMonitor(name: string): { stop(): Promise<number | undefined> } {
  let stopped = false;
  let peak: number | undefined;
  const loop = (async () => {
    let pid: number | undefined;
    while (!stopped) {
      if (!pid) {
        try {
          const r = await env.skiff(['inspect', '--format', '{{.State.ConmonPid}}', name]);
          if (Number(r.stdout) > 0) pid = Number(r.stdout);
        } catch {
          // not created yet
        }
      } else {
        try {
          const status = await readFile(`/proc/${pid}/status`, 'utf8');
          const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
          if (kib) peak = Math.max(peak ?? 0, kib);
        } catch {
          return; // the monitor has exited
        }
      }
      await sleep(pid ? 50 : 100);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return peak;
    },
  };
}

interface Measured {
  exitCode: number | null;
  bytes: number;
  stdout: string;
  stderr: string;
  cliRssKiB: number;
}

/**
 * Runs `sh -c SCRIPT` where SCRIPT may use $SKIFF (skiff with this env's
 * store, under GNU time); counts stdout bytes, keeping only the first 1 KiB
 * as text. `stalled` ms pass before stdout is read at all.
 */
function measured(script: string, stalled = 0): Promise<Measured> {
  const rssFile = join(env.dir, `rss-${Math.random().toString(36).slice(2)}`);
  const skiff = `/usr/bin/time -f %M -o ${rssFile} ${SKIFF_BIN} --root ${env.root} --runroot ${env.runroot}`;
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { cwd: PROJECT_ROOT, env: { ...process.env, SKIFF: skiff }, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stdout = '';
    let stderr = '';
    child.stdout.pause();
    setTimeout(() => {
      child.stdout.on('data', (d: Buffer) => {
        bytes += d.length;
        if (stdout.length < 1024) stdout += d.toString('latin1');
      });
      child.stdout.resume(); // a 'data' listener alone does not restart a paused stream
    }, stalled);
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      void readFile(rssFile, 'utf8').then(
        (text) => resolve({ exitCode, bytes, stdout, stderr, cliRssKiB: Number(text.trim().split('\n').pop()) }),
        reject,
      );
    });
  });
}

test.serial('300 MB on stdin to a container that reads late: right count, CLI and monitor memory bounded', async (t) => {
  const name = uniqueName('stdin');
  const watch = watchMonitor(name);
  const r = await measured(`head -c ${SIZE} /dev/zero | $SKIFF run -i --name ${name} --network none ${BUSYBOX_IMAGE} sh -c 'sleep 2; wc -c'`);
  const monitorKiB = await watch.stop();
  t.log(`CLI max RSS ${Math.round(r.cliRssKiB / 1024)} MiB, monitor ${Math.round((monitorKiB ?? 0) / 1024)} MiB`);
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout.trim(), String(SIZE));
  t.true(r.cliRssKiB < RSS_LIMIT_KIB, `the CLI peaked at ${r.cliRssKiB} KiB`);
  t.not(monitorKiB, undefined, 'the monitor was found and sampled');
  t.true(monitorKiB! < RSS_LIMIT_KIB, `the monitor peaked at ${monitorKiB} KiB`);
  await env.skiff(['rm', name]);
});

test.serial('300 MB out of a container to a reader that stalls: all bytes arrive, CLI and monitor memory bounded', async (t) => {
  const name = uniqueName('stdout');
  const watch = watchMonitor(name);
  const r = await measured(`$SKIFF run --name ${name} --network none ${BUSYBOX_IMAGE} head -c ${SIZE} /dev/zero`, 3000);
  const monitorKiB = await watch.stop();
  t.log(`CLI max RSS ${Math.round(r.cliRssKiB / 1024)} MiB, monitor ${Math.round((monitorKiB ?? 0) / 1024)} MiB`);
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.bytes, SIZE);
  t.true(r.cliRssKiB < RSS_LIMIT_KIB, `the CLI peaked at ${r.cliRssKiB} KiB`);
  t.not(monitorKiB, undefined, 'the monitor was found and sampled');
  t.true(monitorKiB! < RSS_LIMIT_KIB, `the monitor peaked at ${monitorKiB} KiB`);
  await env.skiff(['rm', name]);
});
