// kill -s takes every signal podman takes, real-time ones included, from one
// table (util/signals.ts). The old table stopped at SYS (31): RTMIN+3 and 40
// were "invalid signal" (exit 125).
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { sleep, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

/** A container whose init exits with `code` when it gets signal number `signo` (init ignores signals it has no handler for). */
async function trapping(signo: number, code: number): Promise<string> {
  const name = uniqueName('sig');
  await env.skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', `trap 'exit ${code}' ${signo}; echo ready; while :; do sleep 0.1; done`]);
  for (let i = 0; i < 100; i++) {
    if ((await env.skiff(['logs', name])).stdout.includes('ready')) return name;
    await sleep(100);
  }
  throw new Error(`${name} never got ready`);
}

const delivers = test.macro({
  async exec(t, signal: string, signo: number) {
    const name = await trapping(signo, 7);
    await env.skiff(['kill', '-s', signal, name]);
    t.is((await env.skiff(['wait', name])).stdout, '7');
    await env.skiff(['rm', name]);
  },
  title: (_provided, signal: string, signo: number) => `kill -s ${signal} delivers signal ${signo}`,
});

test.serial(delivers, 'RTMIN+3', 37);
test.serial(delivers, 'SIGRTMAX-2', 62);
test.serial(delivers, '40', 40);
test.serial(delivers, 'XCPU', 24);

test.serial('kill -s with an unknown signal: one Error line, exit 125', async (t) => {
  const r = await env.skiff(['kill', '-s', 'RTMIN+99', 'whatever'], { exit: 125 });
  t.regex(r.stderr, /^Error: invalid signal: RTMIN\+99$/m);
});
