// The global --log-level: podman's levels, podman's error for any other
// value, and debug lines on stderr (paths, the commands skiff runs) that
// never touch stdout.
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();
const NOT_SUPPORTED = (level: string) =>
  `Error: Log Level "${level}" is not supported, choose from: trace, debug, info, warn, warning, error, fatal, panic`;

test.serial('an unknown level is refused with podman\'s message, before or after the command', async (t) => {
  const before = await env.skiff(['--log-level=verbose', 'ps'], { exit: 125 });
  t.is(before.stderr.trim(), NOT_SUPPORTED('verbose'));
  t.is(before.stdout, '');
  const after = await env.skiff(['ps', '--log-level', 'loud'], { exit: 125 });
  t.is(after.stderr.trim(), NOT_SUPPORTED('loud'));
  // A namespaced command is refused before it is run again inside the namespace.
  const namespaced = await env.skiff(['--log-level', 'x', 'rm', '-f', '-t', '0', 'nothing'], { exit: 125 });
  t.is(namespaced.stderr.trim(), NOT_SUPPORTED('x'));
});

test.serial('every podman level is accepted; above debug nothing extra is printed', async (t) => {
  const plain = await env.skiff(['images', '-q']);
  for (const level of ['trace', 'info', 'warn', 'warning', 'error', 'fatal', 'panic']) {
    const r = await env.skiff([`--log-level=${level}`, 'images', '-q']);
    t.is(r.stdout, plain.stdout, level);
    if (level !== 'trace') t.is(r.stderr, '', level);
  }
});

test.serial('debug prints the paths in use and the command lines skiff runs, on stderr only', async (t) => {
  const listed = await env.skiff(['--log-level=debug', 'images', '-q']);
  t.is(listed.stdout, (await env.skiff(['images', '-q'])).stdout);
  t.regex(listed.stderr, /^DEBU\[\d{4}\] Called skiff .*--log-level=debug images -q$/m);
  t.true(listed.stderr.split('\n').includes(`DEBU[${listed.stderr.match(/DEBU\[(\d{4})\] Using graph root/)?.[1]}] Using graph root ${env.root}`), listed.stderr);
  t.regex(listed.stderr, new RegExp(`^DEBU\\[\\d{4}\\] Using run root ${env.runroot}$`, 'm'));

  const name = uniqueName('dbg');
  const id = (await env.skiff(['run', '-d', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'sleep', '60'])).stdout;
  // The level reaches the copy of skiff that runs inside the user namespace, and the runtime's command line is shown.
  const stopped = await env.skiff(['stop', '--log-level', 'debug', '-t', '5', name]);
  t.is(stopped.stdout, name);
  t.regex(stopped.stderr, new RegExp(`^DEBU\\[\\d{4}\\] Running \\S*(crun|runc) --root \\S+ kill ${id} (TERM|15)$`, 'm'));
  const quiet = await env.skiff(['rm', name]);
  t.is(quiet.stderr, '');
});
