// The rootless user namespace is held by one pause process per run root:
// later calls reuse it, and it is recreated when it is gone (kill, reboot).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();

async function pausePid(): Promise<number> {
  return (JSON.parse(await readFile(join(env.runroot, 'pause.pid'), 'utf8')) as { pid: number }).pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test.serial('later calls reuse the pause process', async (t) => {
  await env.skiff(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true']);
  const first = await pausePid();
  t.true(alive(first));
  await env.skiff(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true']);
  t.is(await pausePid(), first);
});

test.serial('a killed pause process is recreated by the next call', async (t) => {
  const before = await pausePid();
  process.kill(before, 'SIGKILL');
  for (let i = 0; i < 50 && alive(before); i++) await new Promise((r) => setTimeout(r, 20));
  const r = await env.skiff(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
  t.is(r.lines[0], '0');
  t.regex(r.stdout, new RegExp(`^\\s*0\\s+${process.getuid!()}\\s+1$`, 'm'), 'root inside maps to the user');
  const after = await pausePid();
  t.not(after, before);
  t.true(alive(after));
});
