// `skiff logs` gives back the container's output byte for byte (the log
// writer once decoded it as UTF-8: binary output and a character split across
// two reads came back as U+FFFD), and streams with bounded memory.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/**
 * Runs `skiff ARGS` under GNU time; counts its stdout as it streams (never
 * holding it) and keeps the last `keep` bytes. maxRssKiB is the peak RSS of
 * skiff and any process it waited for.
 */
function measuredSkiff(args: string[], keep = 4096): Promise<{ exitCode: number | null; bytes: number; last: Buffer; maxRssKiB: number; stderr: string; ms: number }> {
  const rssFile = join(env.dir, `rss-${Math.random().toString(36).slice(2)}`);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, SKIFF_BIN, '--root', env.root, '--runroot', env.runroot, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let last = Buffer.alloc(0);
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      bytes += d.length;
      last = Buffer.concat([last, d]).subarray(-keep);
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      void readFile(rssFile, 'utf8').then(
        (text) => resolve({ exitCode, bytes, last, maxRssKiB: Number(text.trim().split('\n').pop()), stderr, ms: Date.now() - started }),
        reject,
      );
    });
  });
}

const LINE = `${'x'.repeat(1000)}\n`;
const LINES = 200_000; // 200 MB of output, a 209 MB log file
const RSS_LIMIT_KIB = 150 * 1024;

test.serial('logs of a 200 MB log streams with bounded memory; --tail 1 reads from the end', async (t) => {
  const name = uniqueName('big');
  await env.skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', `yes ${LINE.trim()} | head -c ${LINE.length * LINES}`]);
  await env.skiff(['wait', name], { timeout: 60_000 });

  const tail = await measuredSkiff(['logs', '--tail', '1', name]);
  t.log(`logs --tail 1: ${tail.ms} ms, max RSS ${Math.round(tail.maxRssKiB / 1024)} MiB`);
  t.is(tail.exitCode, 0, tail.stderr);
  t.is(tail.bytes, LINE.length);
  t.is(tail.last.toString(), LINE);
  t.true(tail.maxRssKiB < RSS_LIMIT_KIB, `logs --tail 1 peaked at ${tail.maxRssKiB} KiB`);

  const all = await measuredSkiff(['logs', name]);
  t.log(`logs: ${all.ms} ms, max RSS ${Math.round(all.maxRssKiB / 1024)} MiB`);
  t.is(all.exitCode, 0, all.stderr);
  t.is(all.bytes, LINE.length * LINES);
  t.is(all.last.toString(), LINE.repeat(4096 / LINE.length + 1).slice(-4096));
  t.true(all.maxRssKiB < RSS_LIMIT_KIB, `logs peaked at ${all.maxRssKiB} KiB`);
  await env.skiff(['rm', name]);
});

test.serial('--tail counts lines made of several partial records, and 0 prints nothing', async (t) => {
  const name = uniqueName('tail');
  // Line "ab" is written in two reads (a partial record, then a full one); the last line has no newline.
  await env.skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', "printf 'one\\ntwo\\na'; sleep 0.3; printf 'b\\nthree\\nfour'"]);
  await env.skiff(['wait', name]);
  const tail = async (n: string) => (await skiffRaw(['logs', '--tail', n, name])).stdout.toString();
  t.is(await tail('0'), '');
  t.is(await tail('1'), 'three\nfour');
  t.is(await tail('2'), 'ab\nthree\nfour');
  t.is(await tail('4'), 'one\ntwo\nab\nthree\nfour');
  t.is(await tail('100'), 'one\ntwo\nab\nthree\nfour');
  t.is(await tail('-1'), 'one\ntwo\nab\nthree\nfour');
});

test.serial('logs into a pipe its reader closes early ends without an error', async (t) => {
  const name = uniqueName('epipe');
  await env.skiff(['run', '-d', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', `yes ${LINE.trim()} | head -c ${LINE.length * 20_000}`]);
  await env.skiff(['wait', name]);
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('sh', ['-c', `"$0" --root "$1" --runroot "$2" logs "$3" | head -c 5`, SKIFF_BIN, env.root, env.runroot, name], { cwd: PROJECT_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  t.is(r.stdout.slice(0, 5), 'xxxxx');
  t.is(r.stderr, '', 'no error message when the reader goes away');
  await env.skiff(['rm', name]);
});
