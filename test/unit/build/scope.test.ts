import test from 'ava';
import { parseContainerfile } from '../../../src/build/containerfile/parse.js';
import { argValue, expandInstruction, hostPlatform, platformArgs } from '../../../src/build/containerfile/scope.js';
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
