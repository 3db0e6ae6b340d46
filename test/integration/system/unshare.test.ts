// `skiff unshare` as `podman unshare`: a program (a shell by default) as
// root of the rootless user namespace, in its mount namespace, with
// CONTAINERS_GRAPHROOT/RUNROOT set and its own exit code; and `skiff
// mount`/`umount` of a container's root file system, which rootless only
// work inside it.
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { SKIFF_BIN } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

/** skiff run inside `skiff unshare`, on this file's store. */
const inner = (args: string[], exit = 0) => env.skiff(['unshare', SKIFF_BIN, '--root', env.root, '--runroot', env.runroot, ...args], { exit });
/** How many mounts sit on `path` in the namespace. */
const mountsOn = async (path: string) => Number((await env.skiff(['unshare', 'sh', '-c', `awk '$5 == "${path}"' /proc/self/mountinfo | wc -l`])).stdout.trim());

test('unshare: root of the namespace, podman\'s variables, the program\'s exit code, the working directory kept', async (t) => {
  t.is((await env.skiff(['unshare', 'id', '-u'])).stdout, '0');
  const vars = await env.skiff(['unshare', 'sh', '-c', 'echo "$CONTAINERS_GRAPHROOT $CONTAINERS_RUNROOT $_CONTAINERS_USERNS_CONFIGURED"; pwd']);
  t.deepEqual(vars.lines, [`${env.root} ${env.runroot} done`, process.cwd()]);
  const uidMap = (await env.skiff(['unshare', 'cat', '/proc/self/uid_map'])).lines.map((l) => l.trim().split(/\s+/));
  t.deepEqual(uidMap[0], ['0', String(process.getuid!()), '1']);
  await env.skiff(['unshare', 'sh', '-c', 'exit 7'], { exit: 7 });
  const missing = await env.skiff(['unshare', 'no-such-program'], { exit: 127 });
  t.is(missing.stderr, 'Error: exec: "no-such-program": executable file not found in $PATH');
  await env.skiff(['unshare', '/etc/passwd'], { exit: 126 });
});

test('unshare without a command runs $SHELL', async (t) => {
  const shell = await env.skiff(['unshare'], { stdin: 'id -u; echo "$0"\n', env: { SHELL: '/bin/sh' } });
  t.deepEqual(shell.lines, ['0', '/bin/sh']);
});

test.serial('mount: refused outside unshare; inside prints the root file system, which stays mounted after the container exits until umount', async (t) => {
  const id = (await env.skiff(['create', BUSYBOX_IMAGE, 'sh', '-c', 'echo hi > /made-by-run'])).stdout;
  const outside = await env.skiff(['mount', id], { exit: 125 });
  t.is(outside.stderr, 'Error: cannot run command "skiff mount" in rootless mode, must execute `skiff unshare` first');
  const path = (await inner(['mount', id])).stdout;
  t.regex(path, /merged$/);
  t.is((await env.skiff(['unshare', 'ls', `${path}/bin/busybox`])).stdout, `${path}/bin/busybox`);
  t.is((await inner(['mount'])).stdout, `${id.slice(0, 12)}  ${path}`);
  // A run while mounted shares the mount, and its exit leaves it in place.
  await env.skiff(['start', '-a', id]);
  t.is(await mountsOn(path), 1, 'still mounted after the container exited');
  t.is((await env.skiff(['unshare', 'cat', `${path}/made-by-run`])).stdout, 'hi');
  t.is((await env.skiff(['umount', id])).stdout, id);
  t.is(await mountsOn(path), 0);
  t.is((await inner(['mount'])).stdout, '');
  await env.skiff(['rm', id]);
});

test.serial('umount counts mounts; -f drops them all; -a unmounts every mounted container; rm of a mounted container works', async (t) => {
  const a = (await env.skiff(['create', BUSYBOX_IMAGE, 'true'])).stdout;
  const b = (await env.skiff(['create', BUSYBOX_IMAGE, 'true'])).stdout;
  const pathA = (await inner(['mount', a])).stdout;
  await inner(['mount', a]);
  await env.skiff(['umount', a]);
  t.is(await mountsOn(pathA), 1, 'mounted twice, unmounted once');
  await env.skiff(['umount', '-f', a]);
  t.is(await mountsOn(pathA), 0);
  const pathB = (await inner(['mount', b])).stdout;
  await inner(['mount', a]);
  t.deepEqual((await env.skiff(['umount', '-a'])).lines.sort(), [a, b].sort());
  t.is(await mountsOn(pathA) + await mountsOn(pathB), 0);
  await inner(['mount', b]);
  await env.skiff(['rm', b]);
  t.is(await mountsOn(pathB), 0);
  t.deepEqual((await env.skiff(['ps', '-aq', '--no-trunc'])).lines, [a]);
  await env.skiff(['umount', '-a', a], { exit: 125 });
  await env.skiff(['rm', a]);
});
