// Flags of run/create and the global options that podman's system tests
// (030-run) drive: what they print, what they write, and their exit codes.
import { access, chmod, copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import pty from 'node-pty';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { PROJECT_ROOT, SKIFF_BIN, uniqueName } from '../../helpers/skiff.js';

const IMG = BUSYBOX_IMAGE;
const env = useBusyboxEnv();

test.serial('--noout silences stdout of create, run -d and rm, but not their work or errors', async (t) => {
  const name = uniqueName('noout');
  const created = await env.skiff(['--noout', 'create', '--name', name, '--network', 'none', IMG, 'echo', 'hi']);
  t.is(created.stdout, '');
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', name])).stdout, 'created');
  t.is((await env.skiff(['--noout', 'rm', name])).stdout, '');
  const ran = await env.skiff(['--noout', 'run', '-d', '--name', name, '--network', 'none', IMG, 'echo', 'hi']);
  t.is(ran.stdout, '');
  t.is((await env.skiff(['wait', name])).stdout, '0');
  // Attached output is stdout too; errors still reach stderr.
  t.is((await env.skiff(['--noout', 'start', '-a', name])).stdout, '');
  const missing = await env.skiff(['--noout', 'rm', 'no-such-container-here'], { exit: 1 });
  t.regex(missing.stderr, /^Error: .*no-such-container-here/m);
  await env.skiff(['--noout', 'rm', name]);
  t.is((await env.skiff(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}}'])).stdout, '');
});

test.serial('inspect: ImageName is the name the container was created with, ImageDigest and .ID as podman', async (t) => {
  const tag = `localhost/${uniqueName('ref')}/img`;
  await env.skiff(['tag', IMG, tag]);
  const name = uniqueName('imgname');
  await env.skiff(['create', '--name', name, '--network', 'none', tag, 'true']);
  t.is((await env.skiff(['inspect', '--format', '{{.ImageName}}', name])).stdout, `${tag}:latest`);
  const image = (await env.skiff(['image', 'inspect', '--format', '{{.ID}} {{.Digest}}', IMG])).stdout;
  t.regex(image, /^[0-9a-f]{64} sha256:[0-9a-f]{64}$/);
  t.is((await env.skiff(['inspect', '--format', '{{.ID}}', IMG])).stdout, image.split(' ')[0]);
  const other = uniqueName('imgname');
  await env.skiff(['create', '--name', other, '--network', 'none', IMG, 'true']);
  // IMG has no tag: the name recorded is the normalized one.
  t.is((await env.skiff(['container', 'inspect', '--format', '{{.ImageName}} {{.Image}} {{.ImageDigest}}', other])).stdout, `${IMG}:latest ${image}`);
  const id = (await env.skiff(['inspect', '--format', '{{.Id}}', other])).stdout;
  t.is((await env.skiff(['container', 'inspect', '--format', '{{.ID}}', other])).stdout, id);
  // The aliases are for templates only: JSON keeps podman's keys.
  const json = JSON.parse((await env.skiff(['container', 'inspect', other])).stdout) as Array<Record<string, unknown>>;
  t.false('ID' in json[0]!);
  await env.skiff(['rm', name, other]);
  await env.skiff(['untag', IMG, tag]);
});

test.serial('--log-driver none keeps no log; logs then fails as podman; k8s-file and json-file log', async (t) => {
  const name = uniqueName('nolog');
  await env.skiff(['run', '--name', name, '--network', 'none', '--log-driver', 'none', IMG, 'echo', 'unlogged']);
  const logs = await env.skiff(['logs', name], { exit: 125 });
  t.is(logs.stderr.trim(), "Error: this container is using the 'none' log driver, cannot read logs: this container is not logging output");
  t.is((await env.skiff(['inspect', '--format', '{{.HostConfig.LogConfig.Type}}|{{.HostConfig.LogConfig.Path}}', name])).stdout, 'none|');
  await env.skiff(['rm', name]);
  for (const driver of ['k8s-file', 'json-file']) {
    await env.skiff(['run', '--name', name, '--network', 'none', '--log-driver', driver, IMG, 'echo', driver]);
    t.is((await env.skiff(['logs', name])).stdout, driver);
    t.is((await env.skiff(['inspect', '--format', '{{.HostConfig.LogConfig.Type}}', name])).stdout, driver);
    await env.skiff(['rm', name]);
  }
});

test.serial('bad --log-driver and --log-opt values fail with 125 and create nothing', async (t) => {
  const name = uniqueName('badlog');
  const cases: Array<[string[], RegExp]> = [
    [['--log-driver', 'bogus'], /^Error: .*invalid log driver/m],
    [['--log-driver', 'journald'], /^Error: failed to initialize journal/m],
    [['--log-opt', 'max-size=abc'], /^Error: invalid size: 'abc'$/m],
    [['--log-opt', 'tag'], /^Error: invalid log option "tag"$/m],
  ];
  for (const [flags, message] of cases) {
    const r = await env.skiff(['run', '--name', name, '--network', 'none', ...flags, IMG, 'true'], { exit: 125 });
    t.regex(r.stderr, message);
  }
  t.is((await env.skiff(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}}'])).stdout, '');
});

test.serial('--log-opt path, max-size and tag: inspect shows them, the log goes to path and starts again past max-size', async (t) => {
  const name = uniqueName('logopt');
  const path = join(env.dir, `${name}.log`);
  await env.skiff(['run', '--name', name, '--network', 'none', '--log-opt', `path=${path}`, '--log-opt', 'max-size=1.045k', '--log-opt', 'tag=web',
    IMG, 'sh', '-c', 'i=0; while [ $i -lt 100 ]; do echo line-$i-padding-padding; i=$((i+1)); done']);
  t.is((await env.skiff(['inspect', '--format', '{{.HostConfig.LogConfig.Path}}|{{.HostConfig.LogConfig.Size}}|{{.HostConfig.LogConfig.Tag}}|{{.LogPath}}', name])).stdout,
    `${path}|1.045kB|web|${path}`);
  const text = await readFile(path, 'utf8');
  t.true(text.length <= 1045, `the log holds ${text.length} bytes`);
  t.regex(text, /stdout F line-99-padding-padding\n$/);
  const logs = (await env.skiff(['logs', name])).lines;
  t.is(logs.at(-1), 'line-99-padding-padding');
  t.true(logs.length < 100);
  await env.skiff(['rm', name]);
  const sized = uniqueName('logsize');
  await env.skiff(['create', '--name', sized, '--network', 'none', '--log-opt', 'max-size=3.5m', IMG, 'true']);
  t.is((await env.skiff(['inspect', '--format', '{{.HostConfig.LogConfig.Size}}', sized])).stdout, '3.5MB');
  await env.skiff(['rm', sized]);
});

test.serial('run --attach shows only the streams named; without stdout and stderr it prints the container ID', async (t) => {
  const name = uniqueName('attach');
  const script = 'echo to-out; echo to-err >&2';
  const errOnly = await env.skiff(['run', '--rm', '--network', 'none', '--attach', 'stderr', IMG, 'sh', '-c', script]);
  t.is(errOnly.stdout, '');
  t.is(errOnly.stderr, 'to-err');
  const outOnly = await env.skiff(['run', '--rm', '--network', 'none', '-a', 'STDOUT', IMG, 'sh', '-c', script]);
  t.is(outOnly.stdout, 'to-out');
  t.is(outOnly.stderr, '');
  const stdinOnly = await env.skiff(['run', '--name', name, '--network', 'none', '--attach', 'stdin', IMG, 'sh', '-c', `${script}; exit 3`], { exit: 3 });
  t.is(stdinOnly.stdout, (await env.skiff(['inspect', '--format', '{{.Id}}', name])).stdout);
  t.is((await env.skiff(['logs', name])).stdout, 'to-out');
  await env.skiff(['rm', name]);
  const bad = await env.skiff(['run', '--rm', '--network', 'none', '--attach', 'stdfoo', IMG, 'true'], { exit: 125 });
  t.regex(bad.stderr, /^Error: invalid stream "stdfoo" for --attach/m);
});

test.serial('--cidfile gets the ID and is never overwritten; --conmon-pidfile holds the monitor pid inspect reports', async (t) => {
  const before = (await env.skiff(['ps', '-aq'])).stdout;
  const cidfile = join(env.dir, `${uniqueName('cid')}`);
  const pidfile = join(env.dir, `${uniqueName('pid')}`);
  const id = (await env.skiff(['run', '-d', '--network', 'none', '--cidfile', cidfile, '--conmon-pidfile', pidfile, IMG, 'sleep', '60'])).stdout;
  t.is(await readFile(cidfile, 'utf8'), id);
  const monitorPid = (await readFile(pidfile, 'utf8')).trim();
  t.is((await env.skiff(['inspect', '--format', '{{.State.ConmonPid}} {{.ConmonPidFile}}', id])).stdout, `${monitorPid} ${pidfile}`);
  t.regex(await readFile(`/proc/${monitorPid}/cmdline`, 'utf8'), /monitor/);
  await env.skiff(['rm', '-f', '-t', '0', id]);
  const again = await env.skiff(['create', '--network', 'none', '--cidfile', cidfile, IMG, 'true'], { exit: 125 });
  t.is(again.stderr.trim(), `Error: container id file exists. Ensure another container is not using it or delete ${cidfile}`);
  t.is(await readFile(cidfile, 'utf8'), id);
  // A failed create leaves no cidfile behind.
  const fresh = join(env.dir, uniqueName('cid'));
  await env.skiff(['create', '--network', 'none', '--cidfile', fresh, '--stop-signal', 'SIGFOO', IMG, 'true'], { exit: 125 });
  await t.throwsAsync(access(fresh));
  t.is((await env.skiff(['ps', '-aq'])).stdout, before);
});

test.serial('/run/.containerenv exists and is empty, as in a podman container that is not privileged', async (t) => {
  const r = await env.skiff(['run', '--rm', '--network', 'none', IMG, 'stat', '-c', '%s %F', '/run/.containerenv']);
  t.is(r.stdout, '0 regular empty file');
});

test.serial('--workdir that is missing or not a directory fails with 126; an existing one is used', async (t) => {
  const before = (await env.skiff(['ps', '-aq'])).stdout;
  const missing = await env.skiff(['run', '--rm', '--network', 'none', '--workdir', '/i/do/not/exist', IMG, 'pwd'], { exit: 126 });
  t.regex(missing.stderr, /^Error: workdir "\/i\/do\/not\/exist" does not exist on container/m);
  const file = await env.skiff(['run', '--rm', '--network', 'none', '-w', '/etc/passwd', IMG, 'pwd'], { exit: 126 });
  t.regex(file.stderr, /^Error: workdir "\/etc\/passwd" exists on container .*, but is not a directory/m);
  t.is((await env.skiff(['run', '--rm', '--network', 'none', '-w', '/etc', IMG, 'pwd'])).stdout, '/etc');
  t.is((await env.skiff(['ps', '-aq'])).stdout, before);
});

test.serial('diff -l and inspect -l act on the container created last; inspect --type picks the kind', async (t) => {
  const name = uniqueName('latest');
  await env.skiff(['run', '--name', name, '--network', 'none', IMG, 'sh', '-c', 'touch /made-by-latest']);
  const changes = JSON.parse((await env.skiff(['diff', '--format', 'json', '-l'])).stdout) as { added?: string[] };
  t.true(changes.added?.includes('/made-by-latest'));
  t.is((await env.skiff(['inspect', '-l', '--format', '{{.Name}}'])).stdout, name);
  t.is((await env.skiff(['container', 'inspect', '--latest', '--format', '{{.Name}}'])).stdout, name);
  t.regex((await env.skiff(['diff', '-l', name], { exit: 125 })).stderr, /^Error: --latest and containers cannot be used together/m);
  t.regex((await env.skiff(['inspect', '--type', 'container', IMG], { exit: 125 })).stderr, /^Error: /m);
  t.is((await env.skiff(['inspect', '--type', 'image', '--format', '{{.Id}}', IMG])).stdout, env.imageId);
  await env.skiff(['rm', name]);
});

test.serial('run --rmi removes the image after the container unless another container uses it', async (t) => {
  const base = uniqueName('rmibase');
  await env.skiff(['run', '--name', base, '--network', 'none', IMG, 'touch', '/new-layer']);
  const image = `localhost/${uniqueName('rmi')}`;
  await env.skiff(['commit', '-q', base, image]);
  await env.skiff(['rm', base]);
  const keep = uniqueName('keep');
  await env.skiff(['create', '--name', keep, '--network', 'none', image, 'true']);
  await env.skiff(['run', '--rmi', '--rm', '--network', 'none', image, 'true']);
  await env.skiff(['image', 'exists', image]);
  await env.skiff(['rm', keep]);
  const ran = await env.skiff(['run', '--rmi', '--rm', '--network', 'none', image, 'echo', 'last run']);
  t.is(ran.stdout, 'last run');
  await env.skiff(['image', 'exists', image], { exit: 1 });
});

test.serial('run --timeout kills the container after N seconds: exit 255, inspect shows -1', async (t) => {
  const name = uniqueName('timeout');
  const started = Date.now();
  await env.skiff(['run', '--name', name, '--network', 'none', '--timeout', '2', IMG, 'sleep', '60'], { exit: 255 });
  const took = Date.now() - started;
  t.true(took >= 2000 && took < 15_000, `took ${took} ms`);
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.Config.Timeout}}', name])).stdout, 'exited -1 2');
  await env.skiff(['rm', name]);
  await env.skiff(['run', '--rm', '--network', 'none', '--timeout', '-1', IMG, 'true'], { exit: 125 });
});

test.serial('--runtime given as a path to a copy of the runtime runs with it, and inspect shows that path', async (t) => {
  const runtime = (await env.skiff(['info', '--format', '{{.Host.OCIRuntime.Path}}'])).stdout;
  const copy = join(env.dir, `myruntime-${uniqueName('rt')}`);
  await copyFile(runtime, copy);
  await chmod(copy, 0o755);
  const id = (await env.skiff(['run', '-d', '--network', 'none', '--runtime', copy, IMG, 'sleep', '60'])).stdout;
  t.is((await env.skiff(['inspect', '--format', '{{.OCIRuntime}}', id])).stdout, copy);
  await env.skiff(['rm', '-f', '-t', '0', id]);
});

test.serial('run -it with only stdin on a terminal gives the container that terminal size (output captured)', async (t) => {
  const out = join(env.dir, `${uniqueName('stty')}.out`);
  // stdin is a pty of 37 rows × 58 columns; stdout goes to a file, as when a script captures it.
  const term = pty.spawn('/bin/sh', ['-c', 'exec "$0" "$@" > "$OUT"', SKIFF_BIN, '--root', env.root, '--runroot', env.runroot,
    'run', '--rm', '-it', '--network', 'none', IMG, 'stty', 'size'], {
    cols: 58, rows: 37, cwd: PROJECT_ROOT, env: { ...process.env, OUT: out } as Record<string, string>,
  });
  const exit = await new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)));
  t.is(exit, 0);
  t.is((await readFile(out, 'utf8')).trim(), '37 58');
});

test.serial('run and create take docker-archive:PATH and oci-archive:PATH images, loading them first', async (t) => {
  const base = uniqueName('arcbase');
  await env.skiff(['run', '--name', base, '--network', 'none', IMG, 'sh', '-c', 'echo from the archive > /said']);
  const image = `localhost/${uniqueName('arc')}`;
  await env.skiff(['commit', '-q', base, image]);
  await env.skiff(['rm', base]);
  for (const format of ['docker-archive', 'oci-archive']) {
    const archive = join(env.dir, `${uniqueName(format)}.tar`);
    await env.skiff(['save', '-q', '--format', format, '-o', archive, image]);
    await env.skiff(['rmi', image]);
    const ran = await env.skiff(['run', '--rm', '--network', 'none', `${format}:${archive}`, 'cat', '/said']);
    t.is(ran.stdout, 'from the archive');
    t.regex(ran.stderr, /^Getting image source signatures\n(.*\n)*Copying blob .*\n(.*\n)*Copying config .*\nWriting manifest to image destination$/m);
    await env.skiff(['image', 'exists', image]);
    await env.skiff(['rmi', image]);
    const name = uniqueName('arcc');
    await env.skiff(['create', '--name', name, '--network', 'none', `${format}:${archive}`, 'cat', '/said']);
    t.is((await env.skiff(['start', '-a', name])).stdout, 'from the archive');
    await env.skiff(['rm', name]);
  }
  const missing = await env.skiff(['run', '--rm', '--network', 'none', `docker-archive:${join(env.dir, 'no-such.tar')}`, 'true'], { exit: 125 });
  t.regex(missing.stderr, /^Error: /m);
  await env.skiff(['rmi', image]);
});

test.serial('the default environment is podman\'s (TERM=xterm without -t too); --unsetenv and --unsetenv-all leave defaults out, never --env', async (t) => {
  // The shell's exported variables, as KEY=VALUE (the image has no printenv); /bin/sh, since PATH may be unset.
  const envOf = async (args: string[]) => (await env.skiff(['run', '--rm', '--network', 'none', ...args, '/bin/sh', '-c', 'export -p'])).lines
    .map((l) => l.replace(/^export /, '').replace(/='(.*)'$/, '=$1'));
  const plain = await envOf([IMG]);
  t.true(plain.includes('TERM=xterm'), plain.join(' '));
  t.true(plain.includes('container=skiff'));
  const noTerm = await envOf(['--unsetenv=TERM', IMG]);
  t.false(noTerm.some((l) => l.startsWith('TERM=')), noTerm.join(' '));
  t.true(noTerm.includes('container=skiff'));
  const none = await envOf(['--unsetenv-all', IMG]);
  for (const v of ['TERM', 'container']) t.false(none.some((l) => l.startsWith(`${v}=`)), `${v} in ${none.join(' ')}`);
  // Without PATH busybox sh uses its own, shorter one: not skiff's default.
  t.false(none.includes('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'), none.join(' '));
  const given = await envOf(['--unsetenv-all', '--env', 'TERM=abc', '--unsetenv', 'TERM', IMG]);
  t.true(given.includes('TERM=abc'), given.join(' '));
});

test.serial('--tz sets /etc/localtime from the host\'s zoneinfo (the last --tz wins; local is the host\'s zone); an unknown zone is refused before anything is created', async (t) => {
  const zone = async (args: string[]) => (await env.skiff(['run', '--rm', '--network', 'none', ...args, IMG, 'date', '+%Z'])).stdout;
  t.is(await zone(['--tz=Asia/Tokyo']), 'JST');
  t.is(await zone(['--tz=US/Eastern', '--tz=Asia/Tokyo']), 'JST');
  const hostZone = (await import('node:child_process')).execFileSync('date', ['+%Z'], { env: { PATH: process.env.PATH } }).toString().trim();
  t.is(await zone(['--tz=local']), hostZone);
  const name = uniqueName('tz');
  for (const bad of ['Nope/Zone', '../../../etc/passwd', '/etc/localtime', 'zone.tab']) {
    const r = await env.skiff(['create', '--name', name, '--tz', bad, IMG, 'true'], { exit: 125 });
    t.regex(r.stderr, /^Error: finding timezone for the container: unknown time zone/, bad);
  }
  t.is((await env.skiff(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}}'])).stdout, '');
});

test('the caller\'s proxy variables reach the container, unless --http-proxy=false; --env wins', async (t) => {
  const proxyEnv = { env: { http_proxy: 'http://127.0.0.1:3128', NO_PROXY: 'localhost' } };
  const run = (flags: string[]) => env.skiff(['run', '--rm', '--network', 'none', ...flags, BUSYBOX_IMAGE, 'sh', '-c', 'echo "$http_proxy|$NO_PROXY"'], proxyEnv);
  t.is((await run([])).stdout, 'http://127.0.0.1:3128|localhost');
  t.is((await run(['--http-proxy=false'])).stdout, '|');
  t.is((await run(['-e', 'http_proxy=mine'])).stdout, 'mine|localhost');
});
