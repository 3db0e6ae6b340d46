// `skiff run` in the foreground: output, exit codes (DESIGN.md "Exit codes":
// 125 engine, 126 cannot invoke, 127 not found, else the container's own),
// the options that shape the process, and the rootless id mapping.
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName, type TestEnv } from '../../helpers/skiff.js';
import { subIdBase, subIdRanges } from '../../helpers/subid.js';

const IMG = BUSYBOX_IMAGE;
const env = useBusyboxEnv();


/** run --rm --network none IMG ...cmd (no slirp4netns: faster). */
const run = (args: string[], opts?: Parameters<TestEnv['skiff']>[1]) =>
  env.skiff(['run', '--rm', '--network', 'none', ...args], opts);

test.serial('echo hello prints hello and exits 0', async (t) => {
  const r = await run([IMG, 'echo', 'hello']);
  t.is(r.stdout, 'hello');
  t.is(r.exitCode, 0);
});

test.serial("the container's exit code passes through", async (t) => {
  await run([IMG, 'sh', '-c', 'exit 3'], { exit: 3 });
  t.pass();
});

test.serial('a non-executable file exits 126', async (t) => {
  const r = await run([IMG, '/etc/passwd'], { exit: 126 });
  t.regex(r.stderr, /^Error: /m);
});

test.serial('an unknown command exits 127', async (t) => {
  const r = await run([IMG, 'nosuchcmd'], { exit: 127 });
  t.regex(r.stderr, /^Error: /m);
});

test.serial('an unknown image exits 125 and leaves nothing behind', async (t) => {
  const r = await env.skiff(['run', '--pull=never', '--network', 'none', 'localhost/no-such-image', 'true'], { exit: 125 });
  t.regex(r.stderr, /^Error: /m);
  t.is(r.stderr.trim().split('\n').length, 1, `one error line, got: ${r.stderr}`);
  // As podman, the default --pull=missing first tries the registry (here: nothing on localhost:443).
  const pulled = await env.skiff(['run', '--network', 'none', 'localhost/no-such-image', 'true'], { exit: 125 });
  t.regex(pulled.stderr, /^Error: .*localhost\/no-such-image/m);
  const ps = await env.skiff(['ps', '-aq']);
  t.deepEqual(ps.lines, []);
});

test.serial('an unknown flag exits 125', async (t) => {
  const r = await env.skiff(['run', '--nosuchflag', IMG, 'true'], { exit: 125 });
  t.regex(r.stderr, /Error: /);
});

test.serial('-e and --env-file reach the container', async (t) => {
  const envFile = join(env.dir, 'env.list');
  await writeFile(envFile, '# a comment\nFROM_FILE=file-value\n\nOTHER=x y\n', { mode: 0o644 });
  const r = await run(['-e', 'FOO=bar', '--env-file', envFile, IMG, 'env']);
  t.true(r.lines.includes('FOO=bar'), r.stdout);
  t.true(r.lines.includes('FROM_FILE=file-value'), r.stdout);
  t.true(r.lines.includes('OTHER=x y'), r.stdout);
});

test.serial('-w sets the working directory', async (t) => {
  const r = await run(['-w', '/home/user', IMG, 'pwd']);
  t.is(r.stdout, '/home/user');
});

test.serial('id -u is 0 by default', async (t) => {
  const r = await run([IMG, 'id', '-u']);
  t.is(r.stdout, '0');
});

test.serial('-u 1000 and -u user run as uid 1000', async (t) => {
  t.is((await run(['-u', '1000', IMG, 'id', '-u'])).stdout, '1000');
  t.is((await run(['-u', 'user', IMG, 'id', '-u'])).stdout, '1000');
});

test.serial('--entrypoint replaces the entrypoint', async (t) => {
  const r = await run(['--entrypoint', 'echo', IMG, 'from', 'entrypoint']);
  t.is(r.stdout, 'from entrypoint');
});

test.serial('-h sets the hostname', async (t) => {
  const r = await run(['-h', 'myhost', IMG, 'hostname']);
  t.is(r.stdout, 'myhost');
});

test.serial('flag parsing stops at the image: sh -c keeps its -c', async (t) => {
  const r = await run([IMG, 'sh', '-c', 'echo $0 $1', 'a', 'b']);
  t.is(r.stdout, 'a b');
});

test.serial('-i passes piped stdin to the container', async (t) => {
  const r = await run(['-i', IMG, 'cat'], { stdin: 'line one\nline two\n' });
  t.is(r.stdout, 'line one\nline two');
});

test.serial('/proc/self/uid_map shows the rootless mapping', async (t) => {
  // 0 is the user; 1.. are the user's /etc/subuid ranges, one after another.
  const expected = [[0, process.getuid!(), 1]];
  let inside = 1;
  for (const range of await subIdRanges('uid')) {
    expected.push([inside, range.start, range.count]);
    inside += range.count;
  }
  const r = await run([IMG, 'cat', '/proc/self/uid_map']);
  const rows = r.lines.map((l) => l.trim().split(/\s+/).map(Number));
  t.deepEqual(rows, expected);
});

test.serial('a file owned by 1000 in the image is 1000 inside and subuid base+999 on the host', async (t) => {
  const r = await run([IMG, 'stat', '-c', '%u', '/home/user/owned-by-1000']);
  t.is(r.stdout, '1000');

  const base = await subIdBase('uid');
  const layers = join(env.root, 'layers');
  const found: number[] = [];
  for (const layer of await readdir(layers)) {
    try {
      found.push((await stat(join(layers, layer, 'diff', 'home', 'user', 'owned-by-1000'))).uid);
    } catch {
      // not in this layer
    }
  }
  t.true(found.length > 0, `no layer under ${layers} holds home/user/owned-by-1000`);
  for (const uid of found) t.is(uid, base + 999);
});

test.serial('--rm leaves no container; without --rm ps -a shows Exited (3)', async (t) => {
  const gone = uniqueName('gone');
  await env.skiff(['run', '--rm', '--network', 'none', '--name', gone, IMG, 'true']);
  const all = await env.skiff(['ps', '-a', '--format', '{{.Names}}']);
  t.false(all.lines.includes(gone), all.stdout);

  const kept = uniqueName('kept');
  await env.skiff(['run', '--network', 'none', '--name', kept, IMG, 'sh', '-c', 'exit 3'], { exit: 3 });
  const ps = await env.skiff(['ps', '-a', '--format', '{{.Names}}|{{.Status}}']);
  const row = ps.lines.find((l) => l.startsWith(`${kept}|`));
  t.truthy(row, ps.stdout);
  t.regex(row!, /\|Exited \(3\)/);
  await env.skiff(['rm', kept]);
});
