// `run -it` with stdin a pipe, not a terminal (`echo hi | skiff run -it IMG
// cat`): the container still gets a pty, as with podman, which warns that
// the input device is not a TTY. The end of the piped input reaches the
// container as a terminal's EOF (^D); it used to hang forever.
import { spawn } from 'node:child_process';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { PROJECT_ROOT, SKIFF_BIN } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

/** Runs skiff with `input` on a real pipe as stdin (not a pty); kills it after `ms`. */
function withPipedInput(args: string[], input: string, ms = 20_000): Promise<{ exitCode: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, ...args], { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdin.end(input);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ms);
    child.once('error', reject);
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr, timedOut });
    });
  });
}

test.serial('echo hi | run -it cat: completes, hi echoed as a tty would, a warning on stderr', async (t) => {
  const r = await withPipedInput(['run', '--rm', '-it', '--network', 'none', BUSYBOX_IMAGE, 'cat'], 'hi\n');
  t.false(r.timedOut, `hung; stdout so far: ${JSON.stringify(r.stdout)}, stderr: ${r.stderr}`);
  t.is(r.exitCode, 0, r.stderr);
  // The pty echoes the line, then cat prints it: what a terminal shows.
  t.is(r.stdout, 'hi\r\nhi\r\n');
  t.regex(r.stderr, /The input device is not a TTY/);
});

test.serial('piped input without a final newline still ends the -t session', async (t) => {
  const r = await withPipedInput(['run', '--rm', '-it', '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'cat; echo " [done]"'], 'no newline');
  t.false(r.timedOut, `hung; stdout so far: ${JSON.stringify(r.stdout)}, stderr: ${r.stderr}`);
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout, 'no newlineno newline [done]\r\n');
});
