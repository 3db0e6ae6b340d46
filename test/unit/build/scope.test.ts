import test from 'ava';
import { parseContainerfile } from '../../../src/build/containerfile/parse.js';
import { argValue, expandInstruction, hostPlatform, platformArgs, stagesToBuild, unusedBuildArgs } from '../../../src/build/containerfile/scope.js';
import { InvalidArgumentError } from '../../../src/util/errors.js';
import { ExpansionError } from '../../../src/build/containerfile/errors.js';
import type { Instruction } from '../../../src/build/containerfile/ast.js';

function instructions(body: string, escape = false): Instruction[] {
  return parseContainerfile(`${escape ? '# escape=`\n' : ''}FROM scratch\n${body}`, { file: 'Containerfile' }).stages[0]!.instructions;
}

const vars = { NAME: 'app', DIR: '/srv', PORTS: '80 443', EMPTY: '' };

test('expandInstruction expands the words docker expands', (t) => {
  const [env, label, arg, copy, workdir, user, volume, expose, stop] = instructions(
    [
      'ENV HOME_$NAME="$DIR/home dir" OTHER=\'$DIR\'',
      'LABEL "$NAME.version"=${VERSION:-1.0}',
      'ARG P=$DIR/x Q',
      'COPY --chown=$NAME:$NAME --chmod=0644 "$NAME.conf" ${DIR}/etc/',
      'WORKDIR $DIR/$NAME',
      'USER ${NAME}',
      'VOLUME $DIR/data /x',
      'EXPOSE $PORTS 8080/tcp',
      'STOPSIGNAL ${SIG:-SIGTERM}',
    ].join('\n'),
  ).map((i) => expandInstruction(i, vars));
  t.deepEqual((env as { pairs: unknown }).pairs, [
    { key: 'HOME_app', value: '/srv/home dir' },
    { key: 'OTHER', value: '$DIR' },
  ]);
  t.deepEqual((label as { pairs: unknown }).pairs, [{ key: 'app.version', value: '1.0' }]);
  t.deepEqual((arg as { args: unknown }).args, [{ key: 'P', value: '/srv/x' }, { key: 'Q' }]);
  t.like(copy as object, { sources: ['app.conf'], dest: '/srv/etc/', chown: 'app:app', chmod: '0644' });
  t.is((workdir as { path: string }).path, '/srv/app');
  t.is((user as { user: string }).user, 'app');
  t.deepEqual((volume as { paths: string[] }).paths, ['/srv/data', '/x']);
  t.deepEqual((expose as { ports: string[] }).ports, ['80', '443', '8080/tcp']);
  t.is((stop as { signal: string }).signal, 'SIGTERM');
});

test('expandInstruction leaves RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK and ONBUILD alone', (t) => {
  const list = instructions('RUN echo $NAME\nCMD echo $NAME\nENTRYPOINT ["$NAME"]\nHEALTHCHECK CMD $NAME\nONBUILD COPY $NAME /\n');
  for (const i of list) t.deepEqual(expandInstruction(i, vars), i);
});

test('expandInstruction follows the escape directive', (t) => {
  const [workdir] = instructions('WORKDIR C:\\$NAME`$x', true);
  t.is((expandInstruction(workdir!, vars, { escape: '`' }) as { path: string }).path, 'C:\\app$x');
});

test('expandInstruction throws ExpansionError for a required unset variable', (t) => {
  const [w] = instructions('WORKDIR ${MISSING:?set MISSING}');
  t.throws(() => expandInstruction(w!, vars), { instanceOf: ExpansionError, message: 'MISSING: set MISSING' });
});

test('argValue: --build-arg, then the default, then the global or predefined value', (t) => {
  const sources = { buildArgs: { B: 'from-cli' }, globalArgValues: { G: 'global' }, platformArgs: platformArgs(hostPlatform('arm64')) };
  t.is(argValue({ key: 'B', value: 'default' }, sources, vars), 'from-cli');
  t.is(argValue({ key: 'D', value: '$DIR/d' }, sources, vars), '/srv/d');
  t.is(argValue({ key: 'G' }, sources, vars), 'global');
  t.is(argValue({ key: 'G', value: 'mine' }, sources, vars), 'mine');
  t.is(argValue({ key: 'TARGETARCH' }, sources, vars), 'arm64');
  t.is(argValue({ key: 'NOTHING' }, sources, vars), undefined);
});

test('platformArgs for the host and a cross target', (t) => {
  t.deepEqual(platformArgs(hostPlatform('x64')), {
    BUILDPLATFORM: 'linux/amd64', BUILDOS: 'linux', BUILDARCH: 'amd64', BUILDVARIANT: '',
    TARGETPLATFORM: 'linux/amd64', TARGETOS: 'linux', TARGETARCH: 'amd64', TARGETVARIANT: '',
  });
  const cross = platformArgs(hostPlatform('x64'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  t.is(cross.TARGETPLATFORM, 'linux/arm/v7');
  t.is(cross.TARGETVARIANT, 'v7');
  t.is(cross.BUILDARCH, 'amd64');
});

test('FROM sees the host platform args by default', (t) => {
  const cf = parseContainerfile('FROM img-$TARGETARCH\n', { file: 'Containerfile' });
  t.is(cf.stages[0]!.from.image, `img-${hostPlatform().architecture}`);
});

// The expected values are what podman 4.3.1 wrote into the image config for this file.
test('expansion through a stage gives the image config podman builds', (t) => {
  const text = [
    'FROM scratch',
    'ARG P="8080 9090"',
    'ENV A="two words" B=three\\ words C=\'$x\' D=${A:-z} \\',
    '    F="a\\"b" G=\\$A H="\\$A" I=${UNSET:-"q r"} J=${A:+alt}',
    'LABEL "com.x"="ACME Inc" y=$A z="${B}"',
    'ENV E $A and   more',
    'WORKDIR /a/$A',
    'EXPOSE $P 80',
    'USER ${D}:1',
    'STOPSIGNAL SIG${UNSET:-TERM}',
    'VOLUME /v/$D "/q"',
  ].join('\n');
  const cf = parseContainerfile(text, { file: 'Containerfile' });
  const env: Record<string, string> = {};
  const args: Record<string, string> = {};
  const labels: Record<string, string> = {};
  const other: Record<string, unknown> = {};
  const sources = { buildArgs: {}, globalArgValues: cf.globalArgValues, platformArgs: platformArgs() };
  for (const raw of cf.stages[0]!.instructions) {
    // An ENV line sees the values from before it: D=${A:-z} is z although A is set on the same line.
    const i = expandInstruction(raw, { ...args, ...env });
    if (raw.kind === 'ARG') for (const a of raw.args) args[a.key] = argValue(a, sources, { ...args, ...env }) ?? '';
    else if (i.kind === 'ENV') for (const p of i.pairs) env[p.key] = p.value;
    else if (i.kind === 'LABEL') for (const p of i.pairs) labels[p.key] = p.value;
    else if (i.kind === 'WORKDIR') other.WorkingDir = i.path;
    else if (i.kind === 'USER') other.User = i.user;
    else if (i.kind === 'EXPOSE') other.ExposedPorts = i.ports;
    else if (i.kind === 'STOPSIGNAL') other.StopSignal = i.signal;
    else if (i.kind === 'VOLUME') other.Volumes = i.paths;
  }
  t.deepEqual(env, {
    A: 'two words', B: 'three words', C: '$x', D: 'z', F: 'a"b', G: '$A', H: '$A', I: 'q r', J: '', E: 'two words and   more',
  });
  t.deepEqual(labels, { 'com.x': 'ACME Inc', y: 'two words', z: 'three words' });
  t.deepEqual(other, {
    WorkingDir: '/a/two words', ExposedPorts: ['8080', '9090', '80'], User: 'z:1', StopSignal: 'SIGTERM', Volumes: ['/v/z', '/q'],
  });
});

test('stagesToBuild: the target and the stages it reads, transitively', (t) => {
  const cf = parseContainerfile(
    'FROM scratch AS a\nFROM scratch AS unused\nFROM a AS b\nFROM scratch AS c\nCOPY --from=b / /\nFROM scratch\nCOPY --from=a / /\n',
    { file: 'Containerfile' },
  );
  t.deepEqual(stagesToBuild(cf), { target: 4, stages: [0, 4] });
  t.deepEqual(stagesToBuild(cf, 'C'), { target: 3, stages: [0, 2, 3] });
  t.deepEqual(stagesToBuild(cf, 'unused'), { target: 1, stages: [1] });
  t.throws(() => stagesToBuild(cf, 'nope'), {
    instanceOf: InvalidArgumentError,
    message: 'The target "nope" was not found in the provided Dockerfile',
  });
});

test('unusedBuildArgs lists what no ARG declares, sorted, proxies excepted', (t) => {
  const cf = parseContainerfile('ARG G\nFROM scratch\nARG A\nFROM scratch\nARG B\n', { file: 'Containerfile' });
  const args = { ZED: '1', ALPHA: '2', HTTP_PROXY: 'x', G: '', A: '', B: '' };
  t.deepEqual(unusedBuildArgs(cf, args), ['ALPHA', 'ZED']);
  t.deepEqual(unusedBuildArgs(cf, args, [1]), ['A', 'ALPHA', 'ZED']);
});

// podman's 070-build "podman buildx - basic test": VOLUME ['/etc/foo', '/etc/bar'] is not JSON
// (single quotes), so it is the shell form; the volumes are "[/etc/foo," and "/etc/bar]".
test("VOLUME ['/etc/foo', '/etc/bar'] gives docker's surprising paths", (t) => {
  const [volume] = instructions("VOLUME ['/etc/foo', '/etc/bar']");
  t.deepEqual((expandInstruction(volume!, {}) as { paths: string[] }).paths, ['[/etc/foo,', '/etc/bar]']);
});

test('argValue one name at a time: ARG A=1 B=$A gives B the value of A', (t) => {
  const [arg] = instructions('ARG A=1 B=${A}2');
  const vars: Record<string, string> = {};
  const sources = { buildArgs: {}, globalArgValues: {}, platformArgs: {} };
  for (const decl of (arg as { args: { key: string; value?: string }[] }).args) vars[decl.key] = argValue(decl, sources, vars) ?? '';
  t.deepEqual(vars, { A: '1', B: '12' });
});
