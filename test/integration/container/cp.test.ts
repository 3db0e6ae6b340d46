// `skiff cp` as podman's cp: the path rules (file onto a file, into a
// directory, to a missing name; a directory, or its contents with `/.`),
// both directions, running and stopped containers, `-` tar streams, owners
// with and without --archive, and podman's errors with exit 125. What a
// container sees is checked from inside it (`start -a` of a container whose
// command prints it), never by reading the store.
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { execa } from 'execa';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { SKIFF_BIN, uniqueName } from '../../helpers/skiff.js';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { makeTar } from '../../fixtures/oci-image.js';

const env = useBusyboxEnv();
// A store keeps the driver it was made with: vfs gets its own.
const vfsEnv = useBusyboxEnv();
let work: string;

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skcp-'));
});

test.after.always(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** A fresh host directory for one test. */
async function hostDir(name: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Creates (never starts) a container whose command runs `script`; `start -a` then shows what it sees. */
async function created(script: string, extra: string[] = [], store = env): Promise<string> {
  const name = uniqueName('cp');
  await store.skiff(['create', '--name', name, '--network', 'none', ...extra, BUSYBOX_IMAGE, 'sh', '-c', script]);
  return name;
}

/** skiff with binary stdin/stdout (tar streams). */
async function skiffBinary(args: string[], input?: Buffer): Promise<{ exitCode: number; stdout: Buffer; stderr: string }> {
  const result = await execa(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, ...args], {
    reject: false,
    timeout: 60_000,
    encoding: 'buffer',
    ...(input ? { input } : { stdin: 'ignore' as const }),
  });
  return { exitCode: result.exitCode ?? -1, stdout: Buffer.from(result.stdout as Uint8Array), stderr: Buffer.from(result.stderr as Uint8Array).toString() };
}

/** The names in a tar stream, with `tar -t`. */
async function tarNames(tar: Buffer): Promise<string[]> {
  const listed = await execa('tar', ['-t'], { input: tar });
  return listed.stdout.split('\n').filter(Boolean).sort();
}

for (const driver of ['overlay', 'vfs'] as const) {
  test.serial(`${driver}: a host file into a stopped container: onto a missing name, into a directory, over a file`, async (t) => {
    const host = await hostDir(`in-file-${driver}`);
    await writeFile(join(host, 'app.conf'), 'conf v1\n');
    const store = driver === 'vfs' ? vfsEnv : env;
    const name = await created('cat /etc/renamed.conf /tmp/app.conf /etc/hostname-copy; ls -ln /tmp/app.conf | awk \'{print $3":"$4}\'', ['--storage-driver', driver], store);
    await store.skiff(['--storage-driver', driver, 'cp', join(host, 'app.conf'), `${name}:/etc/renamed.conf`]);
    await store.skiff(['--storage-driver', driver, 'cp', join(host, 'app.conf'), `${name}:/tmp`]);
    await writeFile(join(host, 'other'), 'over a file\n');
    await store.skiff(['--storage-driver', driver, 'cp', join(host, 'other'), `${name}:etc/hostname-copy`]);
    await store.skiff(['--storage-driver', driver, 'cp', join(host, 'other'), `${name}:etc/hostname-copy`]);
    const run = await store.skiff(['--storage-driver', driver, 'start', '-a', name]);
    t.is(run.stdout, 'conf v1\nconf v1\nover a file\n0:0');
    await store.skiff(['rm', '-f', '-t', '0', name]);
  });
}

test.serial('a host directory into a container: to a missing name, into a directory, and its contents with /.', async (t) => {
  const host = await hostDir('in-dir');
  await mkdir(join(host, 'site', 'css'), { recursive: true });
  await writeFile(join(host, 'site', 'index.html'), 'hello\n');
  await writeFile(join(host, 'site', 'css', 'a.css'), 'body{}\n');
  await symlink('index.html', join(host, 'site', 'home.html'));
  await chmod(join(host, 'site', 'index.html'), 0o640);
  const name = await created('cd /; find srv home/www | sort; ls /tmp | grep -E "css|html"; readlink /srv/home.html; stat -c %a /srv/index.html');
  await env.skiff(['cp', join(host, 'site'), `${name}:/srv`]); // missing: the directory becomes /srv
  await env.skiff(['cp', join(host, 'site'), `${name}:/home/www`]); // missing too
  await env.skiff(['container', 'cp', join(host, 'site'), `${name}:/home/www`]); // now exists: nested as /home/www/site
  await env.skiff(['cp', `${join(host, 'site')}/.`, `${name}:/tmp`]); // contents into an existing directory
  const run = await env.skiff(['start', '-a', name]);
  t.is(
    run.stdout,
    [
      'home/www', 'home/www/css', 'home/www/css/a.css', 'home/www/home.html', 'home/www/index.html',
      'home/www/site', 'home/www/site/css', 'home/www/site/css/a.css', 'home/www/site/home.html', 'home/www/site/index.html',
      'srv', 'srv/css', 'srv/css/a.css', 'srv/home.html', 'srv/index.html',
      'css', 'home.html', 'index.html',
      'index.html', '640',
    ].join('\n'),
  );
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('files out of a running container: a file to a missing name and into a directory, a directory and its contents', async (t) => {
  const name = uniqueName('cpout');
  await env.skiff(['run', '-d', '--name', name, '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c',
    'mkdir -p /data/sub && echo one > /data/one && echo two > /data/sub/two && ln -s /etc/passwd /data/link && touch /ready && sleep 600']);
  try {
    for (let i = 0; i < 50; i++) {
      if ((await env.skiff(['cp', `${name}:/ready`, join(work, 'ready')], { exit: undefined }).catch(() => undefined))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const host = await hostDir('out');
    await env.skiff(['cp', `${name}:/data/one`, join(host, 'first')]);
    t.is(await readFile(join(host, 'first'), 'utf8'), 'one\n');
    await env.skiff(['cp', `${name}:/data/one`, host]);
    t.is(await readFile(join(host, 'one'), 'utf8'), 'one\n');
    await env.skiff(['cp', `${name}:/data`, join(host, 'data')]);
    t.deepEqual((await readdir(join(host, 'data'))).sort(), ['link', 'one', 'sub']);
    t.is(await readlink(join(host, 'data', 'link')), '/etc/passwd', 'a symlink is copied as a symlink');
    await env.skiff(['cp', `${name}:/data`, join(host, 'data')]);
    t.deepEqual((await readdir(join(host, 'data', 'data'))).sort(), ['link', 'one', 'sub']);
    await mkdir(join(host, 'contents'));
    await env.skiff(['cp', `${name}:/data/.`, join(host, 'contents')]);
    t.deepEqual((await readdir(join(host, 'contents'))).sort(), ['link', 'one', 'sub']);
    t.is(await readFile(join(host, 'contents', 'sub', 'two'), 'utf8'), 'two\n');
    // Files copied out belong to the user (rootless: uid 0 of the namespace).
    t.is((await lstat(join(host, 'contents', 'sub', 'two'))).uid, process.getuid!());
    // A symlink as the source is followed inside the container (podman does too): /data/link is the container's passwd.
    await env.skiff(['cp', `${name}:/data/link`, join(host, 'passwd')]);
    t.regex(await readFile(join(host, 'passwd'), 'utf8'), /^root:x:0:0:/);
  } finally {
    await env.skiff(['rm', '-f', '-t', '0', name]);
  }
});

test.serial('`-` streams: a tar of a container path on stdout, a tar from stdin unpacked into a directory', async (t) => {
  const name = await created('find /in | sort; cat /in/x/f; ls -ln /in/x/f | awk \'{print $3":"$4}\'');
  const tar = await makeTar([
    { name: 'x', type: 'directory' },
    { name: 'x/f', type: 'file', content: 'from stdin\n', uid: 42, gid: 43 },
  ]);
  const missing = await skiffBinary(['cp', '-', `${name}:/in`], tar);
  t.is(missing.exitCode, 125);
  t.is(missing.stderr.trim(), 'Error: destination must be a directory when copying from stdin');
  await writeFile(join(work, 'plain'), 'plain\n');
  await env.skiff(['cp', join(work, 'plain'), `${name}:/in`]);
  const notDir = await skiffBinary(['cp', '-', `${name}:/in`], tar);
  t.is(notDir.exitCode, 125);
  t.regex(notDir.stderr, /must be a directory/);
  await skiffBinary(['cp', '--overwrite', '-', `${name}:/`], await makeTar([{ name: 'in', type: 'directory' }]));
  const ok = await skiffBinary(['cp', '-', `${name}:/in`], tar);
  t.is(ok.exitCode, 0, ok.stderr);
  const out = await skiffBinary(['cp', `${name}:/in`, '-']);
  t.is(out.exitCode, 0, out.stderr);
  t.deepEqual(await tarNames(out.stdout), ['in/', 'in/x/', 'in/x/f']);
  const contents = await skiffBinary(['cp', `${name}:/in/.`, '-']);
  t.deepEqual(await tarNames(contents.stdout), ['x/', 'x/f']);
  const run = await env.skiff(['start', '-a', name]);
  t.is(run.stdout, '/in\n/in/x\n/in/x/f\nfrom stdin\n0:0');
});

test.serial('--archive (the default) gives copied files the container user; --archive=false keeps the archive\'s owners', async (t) => {
  const tar = await makeTar([{ name: 'f', type: 'file', content: 'x\n', uid: 42, gid: 43 }]);
  const name = await created('ls -ln /tmp/a/f /tmp/b/f | awk \'{print $3":"$4}\'', ['--user', '1234:5678']);
  await skiffBinary(['cp', '--overwrite', '-', `${name}:/tmp`], await makeTar([{ name: 'a', type: 'directory' }, { name: 'b', type: 'directory' }]));
  const archived = await skiffBinary(['cp', '-', `${name}:/tmp/a`], tar);
  t.is(archived.exitCode, 0, archived.stderr);
  const kept = await skiffBinary(['cp', '--archive=false', '-', `${name}:/tmp/b`], tar);
  t.is(kept.exitCode, 0, kept.stderr);
  const run = await env.skiff(['start', '-a', name]);
  t.is(run.stdout, '1234:5678\n42:43');
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('--overwrite lets a directory replace a file and a file replace a directory', async (t) => {
  const host = await hostDir('overwrite');
  await mkdir(join(host, 'tree', 'x'), { recursive: true });
  await writeFile(join(host, 'tree', 'x', 'inner'), 'inner\n');
  await mkdir(join(host, 'flat'), { recursive: true });
  await writeFile(join(host, 'flat', 'x'), 'a file now\n');
  const name = await created('cat /d/x');
  await env.skiff(['cp', join(host, 'tree'), `${name}:/d`]);
  const refused = await env.skiff(['cp', `${join(host, 'flat')}/.`, `${name}:/d`], { exit: 125 });
  t.regex(refused.stderr, /^Error: error creating "\/d\/x": open \/d\/x: file exists$/m);
  await env.skiff(['cp', '--overwrite', `${join(host, 'flat')}/.`, `${name}:/d`]);
  t.is((await env.skiff(['start', '-a', name])).stdout, 'a file now');
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('a relative container path is relative to the working directory, both ways', async (t) => {
  const host = await hostDir('workdir');
  await writeFile(join(host, 'f'), 'from host\n');
  const name = uniqueName('cpwd');
  await env.skiff(['run', '-d', '--name', name, '--network', 'none', '--workdir', '/tmp', BUSYBOX_IMAGE, 'sh', '-c',
    'mkdir -p /tmp/subdir; echo in-srv > /tmp/inside; sleep 600']);
  try {
    await env.skiff(['exec', name, 'sh', '-c', 'while [ ! -f /tmp/inside ]; do sleep 0.05; done']);
    await env.skiff(['cp', join(host, 'f'), `${name}:.`]);
    await env.skiff(['cp', `${name}:inside`, host]);
    t.is(await readFile(join(host, 'inside'), 'utf8'), 'in-srv\n');
    t.is((await env.skiff(['exec', name, 'cat', '/tmp/f'])).stdout, 'from host');
    // Messages name the path as typed.
    const missing = await env.skiff(['cp', `${name}:nope`, host], { exit: 125 });
    t.is(missing.stderr.trim(), `Error: "nope" could not be found on container ${name}: no such file or directory`);
    // --pause (podman's default) is accepted, as is --pause=false.
    await env.skiff(['cp', '--pause', join(host, 'f'), `${name}:renamed`]);
    await env.skiff(['cp', '--pause=false', join(host, 'f'), `${name}:subdir`]);
    const seen = await env.skiff(['exec', name, 'cat', '/tmp/renamed', '/tmp/subdir/f']);
    t.is(seen.stdout, 'from host\nfrom host');
  } finally {
    await env.skiff(['rm', '-f', '-t', '0', name]);
  }
});

test.serial("cp - reads a gzip-compressed tar too; podman's messages for input that is no tar and for a destination that is no directory", async (t) => {
  const name = await created('cat /tmp/in/f');
  const tar = await makeTar([{ name: 'in', type: 'directory' }, { name: 'in/f', type: 'file', content: 'gzipped\n' }]);
  const notTar = await skiffBinary(['cp', '-', `${name}:/tmp`], Buffer.from('just some text, no archive\n'.repeat(40)));
  t.is(notTar.exitCode, 125);
  t.is(notTar.stderr.trim(), 'Error: source must be a (compressed) tar archive when copying from stdin');
  const gz = gzipSync(tar);
  for (const dest of ['/etc/passwd', '/no/such/dir']) {
    const r = await skiffBinary(['cp', '-', `${name}:${dest}`], gz);
    t.is(r.exitCode, 125, dest);
    t.is(r.stderr.trim(), 'Error: destination must be a directory when copying from stdin', dest);
  }
  const ok = await skiffBinary(['cp', '-', `${name}:/tmp`], gz);
  t.is(ok.exitCode, 0, ok.stderr);
  t.is((await env.skiff(['start', '-a', name])).stdout, 'gzipped');
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('a host destination that is neither a directory nor a regular file is refused: `-` is for stdout', async (t) => {
  const name = await created('true');
  // stdout is a pipe here: /dev/stdout leads to it.
  const r = await env.skiff(['cp', `${name}:/etc/passwd`, '/dev/stdout'], { exit: 125 });
  t.is(r.stderr.trim(), 'Error: invalid destination: "/dev/stdout" must be a directory or a regular file');
  t.is(r.stdout, '');
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial("a file over a directory and the reverse, without --overwrite: podman's message names the path in the destination", async (t) => {
  const host = await hostDir('clash');
  await mkdir(join(host, 'passwd'));
  const name = await created('true');
  const fileOverDir = await env.skiff(['cp', `${name}:/etc/passwd`, host], { exit: 125 });
  t.is(fileOverDir.stderr.trim(), 'Error: error creating "/passwd": open /passwd: file exists');
  await writeFile(join(host, 'x'), 'x\n');
  await env.skiff(['cp', join(host, 'x'), `${name}:/tmp/x`]);
  await mkdir(join(host, 'sub', 'x'), { recursive: true });
  const dirOverFile = await env.skiff(['cp', join(host, 'sub', 'x'), `${name}:/tmp`], { exit: 125 });
  t.is(dirOverFile.stderr.trim(), 'Error: error creating "/tmp/x": mkdir /tmp/x: file exists');
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial("errors: podman's messages, exit 125, nothing written", async (t) => {
  const host = await hostDir('errors');
  await writeFile(join(host, 'file'), 'f\n');
  await mkdir(join(host, 'dir'));
  const name = await created('true');
  const cases: Array<[string[], RegExp]> = [
    [['cp', join(host, 'file'), join(host, 'other')], /^Error: invalid arguments .* you must use at least one container$/],
    [['cp', join(host, 'file'), 'nosuchctr:/tmp'], /^Error: no container with name or ID "nosuchctr" found: no such container$/],
    [['cp', `${name}:/nope`, host], new RegExp(`^Error: "/nope" could not be found on container ${name}: no such file or directory$`)],
    [['cp', join(host, 'nope'), `${name}:/tmp`], /^Error: ".*\/nope" could not be found on the host: no such file or directory$/],
    [['cp', join(host, 'file'), `${name}:/no/such/dir/f`], /could not be found on container .*: no such file or directory$/],
    [['cp', join(host, 'file'), `${name}:/tmp/missing/`], /could not be found on container/],
    [['cp', join(host, 'dir'), `${name}:/etc/passwd`], /^Error: destination must be a directory when copying a directory$/],
    [['cp', `${name}:/etc`, join(host, 'file')], /^Error: destination must be a directory when copying a directory$/],
    [['cp', join(host, 'file')], /^Error: /],
    [['cp', '-', '-'], /^Error: /],
  ];
  for (const [args, expected] of cases) {
    const result = await env.skiff(args, { exit: 125 });
    t.regex(result.stderr.trim(), expected, args.join(' '));
    t.is(result.stderr.trim().split('\n').length, 1, `one line: ${args.join(' ')}`);
  }
  t.deepEqual((await readdir(host)).sort(), ['dir', 'file']);
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('--help shows an example', async (t) => {
  const help = await env.skiff(['cp', '--help']);
  t.regex(help.stdout, /skiff cp .*web:/);
  t.regex(help.stdout, /--archive/);
  t.regex(help.stdout, /--overwrite/);
});
