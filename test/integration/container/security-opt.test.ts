// run/create --security-opt and --kernel-memory, as podman's 030-run drives them.
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const IMG = BUSYBOX_IMAGE;
const env = useBusyboxEnv();

const noNewPrivs = async (opts: string[]) =>
  (await env.skiff(['run', '--rm', '--network', 'none', ...opts, IMG, 'grep', 'NoNewPrivs', '/proc/self/status'])).stdout.replace(/\s+/g, ' ');

test.serial('--security-opt no-new-privileges sets the process\'s NoNewPrivs, in podman\'s spellings; the last one given wins', async (t) => {
  t.is(await noNewPrivs([]), 'NoNewPrivs: 0');
  t.is(await noNewPrivs(['--security-opt', 'no-new-privileges']), 'NoNewPrivs: 1');
  t.is(await noNewPrivs(['--security-opt', 'no-new-privileges=true']), 'NoNewPrivs: 1');
  t.is(await noNewPrivs(['--security-opt', 'no-new-privileges:true']), 'NoNewPrivs: 1');
  t.is(await noNewPrivs(['--security-opt', 'no-new-privileges=false']), 'NoNewPrivs: 0');
  t.is(await noNewPrivs(['--security-opt', 'no-new-privileges', '--security-opt', 'no-new-privileges=false']), 'NoNewPrivs: 0');
  // What skiff's containers are anyway is accepted.
  t.is(await noNewPrivs(['--security-opt', 'label=disable', '--security-opt', 'seccomp=unconfined']), 'NoNewPrivs: 0');
});

test.serial('a bad or unsupported --security-opt fails create with 125 and creates nothing', async (t) => {
  const bad = await env.skiff(['create', '--security-opt', 'no-new-privileges=maybe', IMG, 'true'], { exit: 125 });
  t.is(bad.stderr, 'Error: parsing value of option no-new-privileges: strconv.ParseBool: parsing "maybe": invalid syntax');
  const unsupported = await env.skiff(['create', '--security-opt', 'seccomp=/etc/profile.json', IMG, 'true'], { exit: 125 });
  t.regex(unsupported.stderr, /^Error: unsupported --security-opt "seccomp=\/etc\/profile.json"/);
  t.is((await env.skiff(['ps', '-aq'])).stdout, '');
});

test.serial('--kernel-memory is a no-op with podman\'s warning', async (t) => {
  const r = await env.skiff(['run', '--rm', '--network', 'none', '--kernel-memory', '100', IMG, 'echo', 'ran']);
  t.is(r.stdout, 'ran');
  t.regex(r.stderr, /The --kernel-memory flag is no longer supported\. This flag is a noop\./);
});
