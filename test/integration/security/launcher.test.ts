// Node 20 honours `--env-file FILE` anywhere on its command line, even after
// the script name. skiff's own arguments must never reach Node's option
// parser: not from the #! line, not from the re-exec into the user namespace.
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';

const env = useBusyboxEnv();

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

test.serial('run --env-file: NODE_OPTIONS in the file reaches the container, never the CLI', async (t) => {
  const marker = join(env.dir, 'evil-ran');
  const evil = join(env.dir, 'evil.cjs');
  await writeFile(evil, `require('node:fs').appendFileSync(${JSON.stringify(marker)}, process.pid + '\\n');\n`);
  const envFile = join(env.dir, 'app.env');
  await writeFile(envFile, `NODE_OPTIONS=--require ${evil}\nAPP_MODE=prod\n`);
  const r = await env.skiff(['run', '--rm', '--network', 'none', '--env-file', envFile, BUSYBOX_IMAGE, 'sh', '-c', 'echo "$APP_MODE|$NODE_OPTIONS"']);
  t.is(r.stdout, `prod|--require ${evil}`);
  t.false(await exists(marker), 'the env file loaded code into a skiff process');
});

test.serial('run IMAGE echo --env-file /nonexistent: the container prints its arguments', async (t) => {
  const r = await env.skiff(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'echo', '--env-file', '/nonexistent']);
  t.is(r.stdout, '--env-file /nonexistent');
});

test.serial('--env-file=FILE after the command word is not read by Node', async (t) => {
  // A missing file makes Node itself exit 9 before skiff runs.
  const r = await env.skiff(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'echo', '--env-file=/nonexistent']);
  t.is(r.stdout, '--env-file=/nonexistent');
});

test.serial('the re-exec into the user namespace keeps --env-file away from Node too', async (t) => {
  // rm is re-executed inside the namespace before its flags are parsed.
  const marker = join(env.dir, 'evil-ran-reexec');
  const evil = join(env.dir, 'evil-reexec.cjs');
  await writeFile(evil, `require('node:fs').appendFileSync(${JSON.stringify(marker)}, process.pid + '\\n');\n`);
  const envFile = join(env.dir, 'reexec.env');
  await writeFile(envFile, `NODE_OPTIONS=--require ${evil}\n`);
  const r = await env.skiff(['rm', `--env-file=${envFile}`, 'nosuchcontainer'], { exit: 125 });
  t.regex(r.stderr, /^Error: .*env-file/);
  t.false(await exists(marker), 'the env file loaded code into the re-executed skiff');
});
