// `skiff logs` gives back the container's output byte for byte (the log
// writer once decoded it as UTF-8: binary output and a character split across
// two reads came back as U+FFFD), and streams with bounded memory.
import { spawn } from 'node:child_process';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { SKIFF_BIN, PROJECT_ROOT, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

interface RawResult {
  exitCode: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

/** Runs bin/skiff and keeps stdout and stderr as bytes. */
function skiffRaw(args: string[], timeoutMs = 60_000): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
  });
}

/** A printf format that prints exactly `bytes` (every byte as an octal escape). */
function printfFormat(bytes: Buffer): string {
  return [...bytes].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const EURO = Buffer.from('€'); // e2 82 ac
/** The euro sign written in two reads, split inside the character, then a newline. */
const SPLIT_EURO = `printf '${printfFormat(EURO.subarray(0, 2))}'; sleep 0.3; printf '${printfFormat(EURO.subarray(2))}\\n'`;

test.serial('logs returns every byte value 0..255 unchanged', async (t) => {
  const name = uniqueName('bytes');
  await env.skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'printf', printfFormat(ALL_BYTES)]);
  await env.skiff(['wait', name]);
  const r = await skiffRaw(['logs', name]);
  t.is(r.exitCode, 0, r.stderr.toString());
  t.deepEqual([...r.stdout], [...ALL_BYTES]);
});

test.serial('logs returns a UTF-8 character split across two writes unchanged', async (t) => {
  const name = uniqueName('split');
  await env.skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', SPLIT_EURO]);
  await env.skiff(['wait', name]);
  const r = await skiffRaw(['logs', name]);
  t.is(r.exitCode, 0, r.stderr.toString());
  t.is(r.stdout.toString('hex'), Buffer.concat([EURO, Buffer.from('\n')]).toString('hex'));
  // --tail counts the split line as one line.
  const tail = await skiffRaw(['logs', '--tail', '1', name]);
  t.is(tail.stdout.toString('hex'), Buffer.concat([EURO, Buffer.from('\n')]).toString('hex'));
});

test.serial('run (attached) passes every byte value and a split character through unchanged', async (t) => {
  const r = await skiffRaw(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', `printf '${printfFormat(ALL_BYTES)}'; ${SPLIT_EURO}`]);
  t.is(r.exitCode, 0, r.stderr.toString());
  t.is(r.stdout.toString('hex'), Buffer.concat([ALL_BYTES, EURO, Buffer.from('\n')]).toString('hex'));
});
