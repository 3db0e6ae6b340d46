// `skiff build`: a Containerfile becomes an image whose config, history and
// progress read as podman 4.3.1's (captured here from `podman build` of the
// same file); every step is cached and a changed context file invalidates
// from its COPY on; a failed RUN exits with its status and leaves no
// container behind; a malformed file fails with 125 before anything runs.
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { freePort, poll, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

/** A context directory with these files (paths relative to it). */
async function withTree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-build-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

const SAMPLE = [
  'FROM localhost/bb',
  'ARG FOO=bar',
  'ENV A=1 B="two words"',
  'LABEL x=y',
  'RUN echo hello $FOO > /hello',
  'WORKDIR /app',
  'COPY f.txt .',
  'USER 1000',
  'EXPOSE 8080',
  'CMD ["sh"]',
  '',
].join('\n');

/** podman 4.3.1's `podman build -t t1 --build-arg FOO=baz ctx` of SAMPLE, ids as X (11 hex) and Y (64 hex). */
const PODMAN_PROGRESS = [
  'STEP 1/10: FROM localhost/bb',
  'STEP 2/10: ARG FOO=bar',
  '--> X',
  'STEP 3/10: ENV A=1 B="two words"',
  '--> X',
  'STEP 4/10: LABEL x=y',
  '--> X',
  'STEP 5/10: RUN echo hello $FOO > /hello',
  '--> X',
  'STEP 6/10: WORKDIR /app',
  '--> X',
  'STEP 7/10: COPY f.txt .',
  '--> X',
  'STEP 8/10: USER 1000',
  '--> X',
  'STEP 9/10: EXPOSE 8080',
  '--> X',
  'STEP 10/10: CMD ["sh"]',
  'COMMIT t1',
  '--> X',
  'Successfully tagged localhost/t1:latest',
  'Y',
];

/** The same, built again: every step from the cache. */
const PODMAN_CACHED = PODMAN_PROGRESS.flatMap((line, i) => {
  if (line === '--> X' && i < PODMAN_PROGRESS.length - 4) return ['--> Using cache Y', line];
  if (line === 'COMMIT t1') return ['--> Using cache Y', line];
  return [line];
});

const masked = (stdout: string) => stdout.split('\n').map((l) => l.replace(/\b[0-9a-f]{64}\b/g, 'Y').replace(/^--> [0-9a-f]{11}$/, '--> X'));

test.serial('a build prints podman\'s progress, writes podman\'s config and history, and the image runs; built again, every step is from the cache', async (t) => {
  const ctx = await withTree({ Containerfile: SAMPLE, 'f.txt': 'data\n' });
  const tag = uniqueName('bt');
  try {
    const first = await env.skiff(['build', '-t', tag, '--build-arg', 'FOO=baz', ctx]);
    t.deepEqual(masked(first.stdout), PODMAN_PROGRESS.map((l) => l.replace('t1', tag)));
    const id = first.lines.at(-1)!;
    const config = JSON.parse((await env.skiff(['image', 'inspect', '--format', '{{json .Config}}', tag])).stdout);
    // podman's import gives the base image a PATH; what matters is what the build added.
    t.deepEqual(config.Env.filter((e: string) => !e.startsWith('PATH=')), ['A=1', 'B=two words']);
    delete config.Env;
    t.deepEqual(config, {
      User: '1000',
      ExposedPorts: { '8080/tcp': {} },
      Cmd: ['sh'],
      WorkingDir: '/app',
      Labels: { x: 'y' },
    });
    const history = JSON.parse((await env.skiff(['image', 'inspect', '--format', '{{json .History}}', tag])).stdout) as Array<{ created_by: string; comment?: string; empty_layer?: boolean }>;
    t.deepEqual(history.slice(1).map((h) => [h.created_by.replace(/file:[0-9a-f]{64}/, 'file:H'), h.comment?.replace(/[0-9a-f]{12}$/, 'P'), h.empty_layer ?? false]), [
      ['/bin/sh -c #(nop) ARG FOO', 'FROM localhost/bb:latest', true],
      ['/bin/sh -c #(nop) ENV A=1 B="two words"', 'FROM P', true],
      ['/bin/sh -c #(nop) LABEL x=y', 'FROM P', true],
      ['|1 FOO=baz /bin/sh -c echo hello $FOO > /hello', 'FROM P', false],
      ['/bin/sh -c #(nop) WORKDIR /app', 'FROM P', true],
      ['/bin/sh -c #(nop) COPY file:H in . ', 'FROM P', false],
      ['/bin/sh -c #(nop) USER 1000', 'FROM P', true],
      ['/bin/sh -c #(nop) EXPOSE 8080', 'FROM P', true],
      ['/bin/sh -c #(nop) CMD ["sh"]', 'FROM P', true],
    ]);
    t.is((await env.skiff(['run', '--rm', tag, 'sh', '-c', 'cat /hello /app/f.txt; pwd; id -u'])).stdout, 'hello baz\ndata\n/app\n1000');

    const again = await env.skiff(['build', '-t', tag, '--build-arg', 'FOO=baz', ctx]);
    t.deepEqual(masked(again.stdout), PODMAN_CACHED.map((l) => l.replace('t1', tag)));
    t.is(again.lines.at(-1), id);
    const quiet = await env.skiff(['build', '-q', '-t', tag, '--build-arg', 'FOO=baz', ctx]);
    t.is(quiet.stdout, id);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
});

test.serial('a changed context file invalidates the cache from its COPY on; another build arg from the RUN on; --no-cache rebuilds every step', async (t) => {
  const ctx = await withTree({ Containerfile: SAMPLE, 'f.txt': 'one\n' });
  const tag = uniqueName('bt');
  const cachedSteps = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('--> Using cache')).length;
  try {
    await env.skiff(['build', '-t', tag, ctx]);
    await writeFile(join(ctx, 'f.txt'), 'two\n');
    const changed = await env.skiff(['build', '-t', tag, ctx]);
    // ARG, ENV, LABEL, RUN, WORKDIR from the cache; COPY and after again.
    t.is(cachedSteps(changed.stdout), 5);
    t.is((await env.skiff(['run', '--rm', tag, 'cat', '/app/f.txt'])).stdout, 'two');
    const arg = await env.skiff(['build', '-t', tag, '--build-arg', 'FOO=other', ctx]);
    t.is(cachedSteps(arg.stdout), 3);
    t.is((await env.skiff(['run', '--rm', tag, 'cat', '/hello'])).stdout, 'hello other');
    const fresh = await env.skiff(['build', '--no-cache', '-t', tag, ctx]);
    t.is(cachedSteps(fresh.stdout), 0);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
});

test.serial('a failed RUN exits with its status and podman\'s message, its output shown; it leaves no container and no image of the step', async (t) => {
  const ctx = await withTree({ Containerfile: 'FROM localhost/bb\nRUN echo out; echo err >&2\nRUN exit 3\n' });
  try {
    const imagesBefore = (await env.skiff(['images', '-a', '-q', '--no-trunc'])).lines;
    const failed = await env.skiff(['build', ctx], { exit: 3 });
    t.deepEqual(masked(failed.stdout), ['STEP 1/3: FROM localhost/bb', 'STEP 2/3: RUN echo out; echo err >&2', 'out', '--> X', 'STEP 3/3: RUN exit 3']);
    t.regex(failed.stderr, /^err$/m);
    t.regex(failed.stderr, /^Error: building at STEP "RUN exit 3": while running runtime: exit status 3$/m);
    t.deepEqual((await env.skiff(['ps', '-a', '-q'])).lines, []);
    // Only the image of the step that worked (RUN echo) is new.
    const added = (await env.skiff(['images', '-a', '-q', '--no-trunc'])).lines.filter((i) => !imagesBefore.includes(i));
    t.is(added.length, 1);
    await env.skiff(['build', '-f', '-', ctx], { stdin: 'FROM localhost/bb\nRUN false\n', exit: 1 });
    t.deepEqual((await env.skiff(['ps', '-a', '-q'])).lines, []);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
});

test.serial('bad input fails with 125 before anything runs: a malformed Containerfile (FILE:LINE), an unknown target, another platform, a bad --format', async (t) => {
  const ctx = await withTree({ Containerfile: 'FROM localhost/bb\nRUN echo hi\nFROBNICATE x\n', 'ok/Containerfile': 'FROM localhost/bb\nRUN echo ran\n' });
  try {
    const imagesBefore = (await env.skiff(['images', '-a', '-q'])).lines;
    const bad = await env.skiff(['build', ctx], { exit: 125 });
    t.regex(bad.stderr, /^Error: .*Containerfile:3: /m);
    t.notRegex(bad.stdout, /STEP/);
    const target = await env.skiff(['build', '--target', 'nope', join(ctx, 'ok')], { exit: 125 });
    t.regex(target.stderr, /^Error: .*nope/m);
    const platform = await env.skiff(['build', '--platform', 'linux/s390x-not', join(ctx, 'ok')], { exit: 125 });
    t.regex(platform.stderr, /^Error: building for platform linux\/s390x-not is not supported/m);
    const format = await env.skiff(['build', '--format', 'zip', join(ctx, 'ok')], { exit: 125 });
    t.regex(format.stderr, /^Error: unrecognized image type "zip"$/m);
    const missing = await env.skiff(['build', join(ctx, 'none')], { exit: 125 });
    t.regex(missing.stderr, /^Error: /m);
    t.deepEqual((await env.skiff(['images', '-a', '-q'])).lines, imagesBefore);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
});

test.serial('-f -, several -t, --iidfile, --label and --format docker (HEALTHCHECK kept, a warning for oci)', async (t) => {
  const ctx = await withTree({});
  const [a, b] = [uniqueName('bt'), uniqueName('bt')];
  const file = 'FROM localhost/bb\nHEALTHCHECK --interval=5s CMD true\nSTOPSIGNAL SIGUSR1\n';
  try {
    const built = await env.skiff(['build', '-f', '-', '-t', `localhost/${a}`, '-t', b, '--iidfile', join(ctx, 'iid'), '--label', 'k=v', '--format', 'docker', ctx], { stdin: file });
    // podman 4.3.1: COMMIT names the first tag as typed; each tag gets its line.
    t.deepEqual(built.lines.slice(-5, -1).map((l) => l.replace(/^--> [0-9a-f]{11}$/, '--> X')), [
      `COMMIT localhost/${a}`, '--> X', `Successfully tagged localhost/${a}:latest`, `Successfully tagged localhost/${b}:latest`,
    ]);
    const id = (await readFile(join(ctx, 'iid'), 'utf8'));
    t.regex(id, /^sha256:[0-9a-f]{64}$/);
    const inspect = JSON.parse((await env.skiff(['image', 'inspect', b])).stdout)[0];
    t.is(`sha256:${inspect.Id}`, id);
    t.true(inspect.RepoTags.includes(`localhost/${a}:latest`));
    t.is(inspect.Config.StopSignal, 'SIGUSR1');
    t.is(inspect.Config.Labels.k, 'v');
    t.deepEqual(inspect.Config.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5_000_000_000 });
    // (inspect's ManifestType is always OCI's in skiff: the stored manifest tells.)
    const index = JSON.parse(await readFile(join(env.root, 'images', 'images.json'), 'utf8')) as { images: Array<{ id: string; manifestDigest: string }> };
    const digest = index.images.find((i) => `sha256:${i.id}` === id)!.manifestDigest;
    const manifest = JSON.parse(await readFile(join(env.root, 'blobs', 'sha256', digest.replace(/^sha256:/, '')), 'utf8'));
    t.is(manifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    const oci = await env.skiff(['build', '-f', '-', ctx], { stdin: file });
    t.deepEqual(oci.lines.slice(-3, -1).map((l) => l.replace(/^--> [0-9a-f]{11}$/, '--> X')), ['COMMIT', '--> X']);
    t.regex(oci.stderr, /HEALTHCHECK is not supported for OCI image format/);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
});

test.serial('multi-stage: COPY --from an earlier stage, --target stops there, and a stage the target does not need is not built', async (t) => {
  const ctx = await withTree({
    Containerfile: [
      'FROM localhost/bb AS base',
      'RUN echo built-base > /base',
      'FROM localhost/bb AS unused',
      'RUN echo unused-ran',
      'FROM localhost/bb',
      'COPY --from=base /base /copied',
      'CMD ["cat", "/copied"]',
      '',
    ].join('\n'),
  });
  const tag = uniqueName('bt');
  try {
    const out = await env.skiff(['build', '-t', tag, ctx]);
    t.notRegex(out.stdout, /unused-ran/);
    t.regex(out.stdout, /^\[1\/2\] STEP 1\/2: FROM localhost\/bb AS base$/m);
    t.regex(out.stdout, /^\[2\/2\] STEP 2\/3: COPY --from=base \/base \/copied$/m);
    // podman 4.3.1: the last stage's COMMIT line has its prefix and the name as typed.
    t.regex(out.stdout, new RegExp(`^\\[2/2\\] COMMIT ${tag}$`, 'm'));
    t.is((await env.skiff(['run', '--rm', tag])).stdout, 'built-base');
    const base = await env.skiff(['build', '-q', '--target', 'base', ctx]);
    t.is((await env.skiff(['run', '--rm', base.stdout, 'cat', '/base'])).stdout, 'built-base');
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
});

test.serial('a build killed with -9 during a RUN leaves no container after the next build', async (t) => {
  const ctx = await withTree({ Containerfile: 'FROM localhost/bb\nRUN touch /started; sleep 60\n', 'ok/Containerfile': 'FROM localhost/bb\nRUN true\n' });
  try {
    const build = execa(join(process.cwd(), 'bin', 'skiff'), ['--root', env.root, '--runroot', env.runroot, 'build', ctx], { reject: false, stdin: 'ignore' });
    // The builder's pid is in the name of its RUN container.
    const pid = await poll(async () => {
      const names = (await env.skiff(['ps', '-a', '--format', '{{.Names}}'])).lines;
      const found = names.map((n) => /^skiff-build-(\d+)-/.exec(n)).find(Boolean);
      return found ? Number(found[1]) : undefined;
    }, 30_000, 100);
    if (pid === undefined) return t.fail('the RUN container never appeared');
    process.kill(pid, 'SIGKILL');
    await build;
    await env.skiff(['build', '-q', join(ctx, 'ok')]);
    t.deepEqual((await env.skiff(['ps', '-a', '-q'])).lines, []);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
});

test.serial('a build interrupted (SIGINT) during a RUN removes the step\'s container before it exits', async (t) => {
  const ctx = await withTree({ Containerfile: 'FROM localhost/bb\nRUN sleep 60\n' });
  try {
    const build = execa(join(process.cwd(), 'bin', 'skiff'), ['--root', env.root, '--runroot', env.runroot, 'build', ctx], { reject: false, stdin: 'ignore' });
    const pid = await poll(async () => {
      const lines = (await env.skiff(['ps', '--format', '{{.Names}} {{.Status}}'])).lines;
      const found = lines.map((n) => /^skiff-build-(\d+)-\S+ Up/.exec(n)).find(Boolean);
      return found ? Number(found[1]) : undefined;
    }, 30_000, 100);
    if (pid === undefined) return t.fail('the RUN container never ran');
    process.kill(pid, 'SIGINT');
    t.not((await build).exitCode, 0);
    t.deepEqual((await env.skiff(['ps', '-a', '-q'])).lines, []);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
});

test.serial('COPY honours .dockerignore, and a tar on stdin is a context (`build -`)', async (t) => {
  const ctx = await withTree({
    Containerfile: 'FROM localhost/bb\nCOPY . /ctx/\nCMD ["ls", "-A", "/ctx"]\n',
    '.dockerignore': 'secret\n',
    secret: 'do not copy\n',
    'kept.txt': 'kept\n',
  });
  const tag = uniqueName('bt');
  try {
    await env.skiff(['build', '-t', tag, ctx]);
    t.deepEqual((await env.skiff(['run', '--rm', tag])).lines, ['.dockerignore', 'Containerfile', 'kept.txt']);
    const tar = await execa('tar', ['-C', ctx, '-c', '.']);
    const fromTar = await env.skiff(['build', '-q', '-'], { stdin: tar.stdout });
    t.deepEqual((await env.skiff(['run', '--rm', fromTar.stdout])).lines, ['.dockerignore', 'Containerfile', 'kept.txt']);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
});

test.serial('independent stages are built at the same time (one RUN serves what the other RUN fetches), their output shown in stage order', async (t) => {
  const port = await freePort();
  const ctx = await withTree({
    Containerfile: [
      'FROM localhost/bb AS server',
      'ARG PORT',
      // Waits for the other stage's client: one after the other, it would time out.
      // Listens until the client's line arrives (busybox nc may end at its own stdin's EOF first), for at most 20 s.
      'RUN end=$(($(date +%s) + 20)); while [ $(date +%s) -lt $end ] && ! test -s /got; do timeout 20 nc -l -p $PORT < /dev/null >> /got; done; test -s /got',
      'FROM localhost/bb AS client',
      'ARG PORT',
      // Sends its line again and again for 6 s: the server keeps the first that arrives.
      'RUN for i in $(seq 30); do echo from-client | nc 127.0.0.1 $PORT && echo sent > /sent; sleep 0.2; done 2>/dev/null; test -s /sent',
      'FROM localhost/bb',
      'COPY --from=server /got /server-got',
      'COPY --from=client /sent /client-sent',
      '',
    ].join('\n'),
  });
  try {
    const tag = uniqueName('bt');
    const out = await env.skiff(['build', '--network', 'host', '--build-arg', `PORT=${port}`, '-t', tag, ctx]);
    t.is((await env.skiff(['run', '--rm', tag, 'head', '-n', '1', '/server-got'])).stdout, 'from-client');
    const prefixes = out.lines.map((l) => /^\[(\d)\/3\] /.exec(l)?.[1]).filter(Boolean);
    t.deepEqual(prefixes, [...prefixes].sort(), 'stage 1 lines, then stage 2, then stage 3');
    t.is(prefixes.length, 3 + 3 + 4);
    // --jobs 1 (one stage at a time, podman's default): the server waits alone and times out.
    const one = await env.skiff(['build', '--jobs', '1', '--no-cache', '--network', 'host', '--build-arg', `PORT=${port}`, ctx], { exit: 1, timeout: 90_000 });
    t.regex(one.stderr, /^Error: building at STEP "RUN end=/m);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
});

test.serial('ADD extracts a local tar into the destination and downloads an http URL (127.0.0.1); a changed download invalidates the step', async (t) => {
  const ctx = await withTree({ 'in/a.txt': 'from-tar\n' });
  await execa('tar', ['-C', join(ctx, 'in'), '-czf', join(ctx, 'files.tgz'), 'a.txt']);
  let body = 'downloaded-1\n';
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.end(body));
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await writeFile(join(ctx, 'Containerfile'), `FROM localhost/bb\nADD files.tgz /x/\nADD http://127.0.0.1:${port}/file.txt /y/\n`);
  const tag = uniqueName('bt');
  try {
    await env.skiff(['build', '-t', tag, ctx]);
    t.is((await env.skiff(['run', '--rm', tag, 'cat', '/x/a.txt', '/y/file.txt'])).stdout, 'from-tar\ndownloaded-1');
    body = 'downloaded-2\n';
    const again = await env.skiff(['build', '-t', tag, ctx]);
    t.is(again.stdout.split('\n').filter((l) => l.startsWith('--> Using cache')).length, 1);
    t.is((await env.skiff(['run', '--rm', tag, 'cat', '/y/file.txt'])).stdout, 'downloaded-2');
  } finally {
    server.close();
    await rm(ctx, { recursive: true, force: true });
  }
});

test.serial('as podman 4.3.1 (070-build): `build -` takes a Containerfile on stdin, a relative -f is also looked up in the context, a failed COPY names its step, BUILDAH_LAYERS=false turns the cache off', async (t) => {
  const ctx = await withTree({ Containerfile1: 'FROM localhost/bb\nRUN echo in-file\n', Bad: 'FROM localhost/bb\nCOPY missing ./\n' });
  try {
    const fromStdin = await env.skiff(['build', '-q', '-'], { stdin: 'FROM localhost/bb\nCMD ["echo", "from-stdin"]\n' });
    t.is((await env.skiff(['run', '--rm', fromStdin.stdout])).stdout, 'from-stdin');
    await env.skiff(['build', '-f', 'Containerfile1', ctx]);
    const again = await env.skiff(['build', '-f', 'Containerfile1', ctx], { env: { BUILDAH_LAYERS: 'false' } });
    t.notRegex(again.stdout, /Using cache/);
    const bad = await env.skiff(['build', '-f', 'Bad', ctx], { exit: 125 });
    t.regex(bad.stderr, /^Error: building at STEP "COPY missing \.\/": /m);
    const never = await env.skiff(['build', '--pull-never', '-'], { stdin: 'FROM localhost/nosuchimage\n', exit: 125 });
    t.regex(never.stderr, /^Error: creating build container: localhost\/nosuchimage/m);
    // --ignorefile: other rules than the context's; COPY of an ignored file fails as a missing one.
    await writeFile(join(ctx, 'my.ignore'), 'Containerfile1\n');
    await env.skiff(['build', '-f', '-', ctx], { stdin: 'FROM localhost/bb\nCOPY Containerfile1 /\n' });
    const ignored = await env.skiff(['build', '--ignorefile', join(ctx, 'my.ignore'), '-f', '-', ctx], { stdin: 'FROM localhost/bb\nCOPY Containerfile1 /\n', exit: 125 });
    t.regex(ignored.stderr, /^Error: building at STEP "COPY Containerfile1 \/"/m);
    const flagged = await env.skiff(['--runtime-flag', 'invalidflag', 'build', '-f', 'Containerfile1', '--no-cache', ctx], { exit: 1 });
    t.regex(flagged.stderr, /invalidflag/);
    t.deepEqual((await env.skiff(['ps', '-a', '-q'])).lines, []);
    const logged = await env.skiff(['build', '-f', 'Containerfile1', '--logfile', join(ctx, 'log'), ctx]);
    t.is(logged.stdout, '');
    t.regex(await readFile(join(ctx, 'log'), 'utf8'), /^COMMIT$/m);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
});

test.serial('images hides a build\'s intermediate images, as podman; -a shows them', async (t) => {
  const ctx = await withTree({ 'Containerfile': `FROM localhost/bb\nRUN echo ${uniqueName('one')} > /one\nENV X=1\nRUN echo two > /two\n` });
  t.teardown(() => rm(ctx, { recursive: true, force: true }));
  const ids = async (flags: string[]) => (await env.skiff(['images', ...flags, '-q', '--no-trunc'])).lines.map((i) => i.replace(/^sha256:/, ''));
  const before = await ids(['-a']);
  const tag = `localhost/${uniqueName('inter')}`;
  const id = (await env.skiff(['build', '-q', '-t', tag, ctx])).lines.at(-1)!.replace(/^sha256:/, '');
  const made = (await ids(['-a'])).filter((i) => !before.includes(i));
  // One image per step after FROM; only the last, named, is listed without -a.
  t.is(made.length, 3);
  t.deepEqual((await ids([])).filter((i) => made.includes(i)), [id]);
  await env.skiff(['rmi', tag]);
});

test.serial('RUN with a heredoc runs its lines through the shell, as BuildKit', async (t) => {
  const ctx = await withTree({ 'Containerfile': 'FROM localhost/bb\nRUN <<EOF\necho a > /a\necho b > /b\nEOF\nRUN cat <<EOT > /c\nthree\nEOT\n' });
  t.teardown(() => rm(ctx, { recursive: true, force: true }));
  const tag = `localhost/${uniqueName('heredoc')}`;
  await env.skiff(['build', '-q', '-t', tag, ctx]);
  t.is((await env.skiff(['run', '--rm', '--network', 'none', tag, 'cat', '/a', '/b', '/c'])).stdout, 'a\nb\nthree');
  await env.skiff(['rmi', tag]);
});
