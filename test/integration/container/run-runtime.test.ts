// run/create flags that reach past the container's spec, as podman's
// system tests (030-run, 130-kill) drive them: --runtime-flag (global),
// --preserve-fds and --replace.
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { PROJECT_ROOT, SKIFF_BIN, uniqueName } from '../../helpers/skiff.js';

const IMG = BUSYBOX_IMAGE;
const env = useBusyboxEnv();

test.serial('--runtime-flag FLAG is given to the runtime as --FLAG: one it does not know fails run with 126 and its message', async (t) => {
  const bad = await env.skiff(['--runtime-flag', 'invalidflag', 'run', '--rm', '--network', 'none', IMG, 'true'], { exit: 126 });
  t.regex(bad.stderr, /^Error: .*invalidflag/m);
  t.is(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  // Nothing is left of the --rm container.
  t.is((await env.skiff(['ps', '-aq'])).stdout, '');

  // A flag the runtime knows (both crun and runc have --debug) runs, and stays with the container for stop and rm.
  const name = uniqueName('rtflag');
  t.is((await env.skiff(['run', '--runtime-flag=debug', '--rm', '--network', 'none', IMG, 'echo', 'ran'])).stdout, 'ran');
  await env.skiff(['--runtime-flag=debug', 'run', '-d', '--name', name, '--network', 'none', IMG, 'sleep', '60']);
  const record = JSON.parse((await env.skiff(['container', 'inspect', name])).stdout) as Array<{ Id: string }>;
  const config = JSON.parse(readFileSync(join(env.root, 'containers', record[0]!.Id, 'config.json'), 'utf8')) as { runtime: { flags?: string[] } };
  t.deepEqual(config.runtime.flags, ['--debug']);
  await env.skiff(['stop', '-t', '0', name]);
  await env.skiff(['rm', name]);
});

/** `skiff run ARGS` with `fds` open as its fds 3, 4, ... (execa takes no fd numbers there). */
async function runWithFds(fds: number[], args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const child = spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'run', ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe', ...fds] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  clearTimeout(timer);
  return { exitCode, stdout: stdout.replace(/\n$/, ''), stderr: stderr.replace(/\n$/, '') };
}

test.serial('--preserve-fds N gives the container the caller\'s fds 3..3+N-1; a missing one is podman\'s error', async (t) => {
  const three = join(env.dir, 'fd3');
  const four = join(env.dir, 'fd4');
  writeFileSync(three, 'from three\n');
  writeFileSync(four, 'from four\n');
  const fds = [openSync(three, 'r'), openSync(four, 'r')];
  try {
    const r = await runWithFds(fds, ['--rm', '--network', 'none', '--preserve-fds=2', IMG, 'sh', '-c', 'cat <&4; cat <&3']);
    t.is(r.exitCode, 0, r.stderr);
    t.is(r.stdout, 'from four\nfrom three');
    // Without the flag the container has no fd 3.
    const none = await runWithFds(fds, ['--rm', '--network', 'none', IMG, 'sh', '-c', 'cat <&3']);
    t.not(none.exitCode, 0);
    const missing = await runWithFds(fds.slice(0, 1), ['--rm', '--network', 'none', '--preserve-fds', '2', IMG, 'true']);
    t.is(missing.exitCode, 125);
    t.is(missing.stderr, 'Error: file descriptor 4 is not available - the preserve-fds option requires that all file descriptors must be passed');
  } finally {
    fds.forEach((fd) => closeSync(fd));
  }
});

test.serial('--preserve-fds with -d: the container writes to the caller\'s pipe, which ends when the container closes it', async (t) => {
  const name = uniqueName('pfds');
  const child = execa(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, 'run', '-d', '--name', name, '--network', 'none', '--preserve-fds', '1', IMG, 'sh', '-c', 'echo hello >&3; exec 3>&-; sleep 60'], {
    reject: false,
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const pipe = child.stdio[3] as NodeJS.ReadableStream;
  let read = '';
  pipe.on('data', (d: Buffer) => (read += d.toString()));
  // EOF comes only once no one else (the CLI, the monitor) holds the pipe.
  await new Promise<void>((resolve) => pipe.on('end', () => resolve()));
  t.is(read, 'hello\n');
  t.is((await child).exitCode, 0);
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', name])).stdout, 'running');
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('run/create --replace removes the container of that name first; it needs --name', async (t) => {
  const name = uniqueName('replace');
  const first = (await env.skiff(['run', '-d', '--name', name, '--network', 'none', IMG, 'sleep', '60'])).stdout;
  // Taken: without --replace the name is refused.
  await env.skiff(['create', '--name', name, '--network', 'none', IMG, 'true'], { exit: 125 });
  const second = (await env.skiff(['run', '-d', '--replace', '--name', name, '--network', 'none', IMG, 'sleep', '60'])).stdout;
  t.not(second, first);
  t.is((await env.skiff(['ps', '-a', '--no-trunc', '--filter', `name=${name}`, '--format', '{{.ID}} {{.Status}}'])).stdout.split(' ')[0], second);
  const third = (await env.skiff(['create', '--replace', '--name', name, '--network', 'none', IMG, 'true'])).stdout;
  t.is((await env.skiff(['ps', '-a', '--no-trunc', '--format', '{{.ID}}'])).stdout, third);
  // Nothing to replace is fine.
  const fresh = uniqueName('replace');
  await env.skiff(['run', '--rm', '--replace', '--name', fresh, '--network', 'none', IMG, 'true']);
  const unnamed = await env.skiff(['run', '--rm', '--replace', '--network', 'none', IMG, 'true'], { exit: 125 });
  t.is(unnamed.stderr, 'Error: cannot replace container without --name being set');
  await env.skiff(['rm', name]);
});
