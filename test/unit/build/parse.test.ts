import test from 'ava';
import { parseContainerfile, parseOnbuildTriggers } from '../../../src/build/containerfile/parse.js';
import { ContainerfileError } from '../../../src/build/containerfile/errors.js';
import type { Instruction, RunInstruction } from '../../../src/build/containerfile/ast.js';
import { expandInstruction } from '../../../src/build/containerfile/scope.js';

const platform = { TARGETARCH: 'amd64', TARGETPLATFORM: 'linux/amd64', BUILDPLATFORM: 'linux/amd64' };

function parse(text: string, buildArgs: Record<string, string> = {}) {
  return parseContainerfile(text, { file: 'Containerfile', buildArgs, platformArgs: platform });
}

function only(text: string): Instruction {
  const cf = parse(`FROM scratch\n${text}`);
  if (cf.stages[0]!.instructions.length !== 1) throw new Error('expected one instruction');
  return cf.stages[0]!.instructions[0]!;
}

function fails(text: string, line: number, reason: RegExp | string) {
  return (t: import('ava').ExecutionContext) => {
    const err = t.throws(() => parse(text), { instanceOf: ContainerfileError });
    t.is(err?.line, line);
    if (typeof reason === 'string') t.is(err?.reason, reason);
    else t.regex(err?.reason ?? '', reason);
    t.true(err!.message.startsWith(line > 0 ? `Containerfile:${line}: ` : 'Containerfile: '));
  };
}

test('a small file: stages, instructions, lines and original text', (t) => {
  const cf = parse('# a comment\nFROM alpine:3.19 AS base\nRUN apk add curl\n\nFROM base\nCMD ["sh"]\n');
  t.deepEqual(cf.directives, { escape: '\\' });
  t.is(cf.stages.length, 2);
  t.is(cf.stages[0]!.name, 'base');
  t.is(cf.stages[0]!.from.image, 'alpine:3.19');
  t.is(cf.stages[0]!.from.line, 2);
  t.deepEqual(cf.stages[0]!.instructions, [
    { kind: 'RUN', line: 3, endLine: 3, original: 'RUN apk add curl', cmd: { form: 'shell', command: 'apk add curl' }, mounts: [], heredocs: [] },
  ]);
  t.is(cf.stages[1]!.index, 1);
  t.is(cf.stages[1]!.name, undefined);
  t.deepEqual(cf.stages[1]!.instructions[0], { kind: 'CMD', line: 6, endLine: 6, original: 'CMD ["sh"]', cmd: { form: 'exec', args: ['sh'] } });
});

test('instruction keywords are case-insensitive; AS too; stage names are lower-cased', (t) => {
  const cf = parse('from scratch as Builder\nrun true\n');
  t.is(cf.stages[0]!.name, 'builder');
  t.is(cf.stages[0]!.instructions[0]!.kind, 'RUN');
});

test('continuation lines are joined as podman prints them; comments and blank lines inside are dropped', (t) => {
  const cf = parse('FROM scratch\nENV x=1 \\\n  y=2\nRUN echo a \\\n# a comment inside\n\n    && echo b\nLABEL a=b\n');
  const [env, run, label] = cf.stages[0]!.instructions;
  t.is(env!.original, 'ENV x=1   y=2');
  t.is(env!.line, 2);
  t.is(env!.endLine, 3);
  t.deepEqual((env as { pairs: unknown }).pairs, [{ key: 'x', value: '1' }, { key: 'y', value: '2' }]);
  t.is(run!.original, 'RUN echo a     && echo b');
  t.is(run!.line, 4);
  t.is(run!.endLine, 7);
  t.is(label!.line, 8);
  t.is(cf.warnings.length, 1);
  t.regex(cf.warnings[0]!, /^Containerfile:4: empty continuation line/);
});

test('a continuation at the end of the file ends the instruction', (t) => {
  const run = only('RUN echo hi \\');
  t.deepEqual((run as { cmd: unknown }).cmd, { form: 'shell', command: 'echo hi' });
});

test('# escape=` makes the backtick the continuation and escape character', (t) => {
  const cf = parse('# escape=`\nFROM scratch\nCOPY a.txt `\n  C:\\dest\\\nRUN echo `\n  hi\n');
  t.is(cf.directives.escape, '`');
  const [copy, run] = cf.stages[0]!.instructions;
  t.deepEqual((copy as { sources: string[] }).sources, ['a.txt']);
  t.is((copy as { dest: string }).dest, 'C:\\dest\\');
  t.is(run!.original, 'RUN echo   hi');
  t.is(cf.stages[0]!.from.line, 2);
});

test('# syntax= is kept; directives after a comment or instruction are plain comments', (t) => {
  t.deepEqual(parse('# syntax=docker/dockerfile:1\n# escape=\\\nFROM scratch\n').directives, {
    escape: '\\',
    syntax: 'docker/dockerfile:1',
  });
  t.deepEqual(parse('# hello\n# escape=`\nFROM scratch\n').directives, { escape: '\\' });
  t.deepEqual(parse('FROM scratch\n# escape=`\n').directives, { escape: '\\' });
});

test('bad escape directive', fails('# escape=x\nFROM scratch\n', 1, "invalid escape token 'x' does not match ` or \\"));
test('repeated directive', fails('# escape=\\\n# escape=`\nFROM scratch\n', 2, 'only one escape parser directive can be used'));

test('exec form versus shell form; invalid JSON falls back to the shell form as in docker', (t) => {
  t.deepEqual((only('RUN ["echo", "a b"]') as { cmd: unknown }).cmd, { form: 'exec', args: ['echo', 'a b'] });
  t.deepEqual((only('CMD ["a", ') as { cmd: unknown }).cmd, { form: 'shell', command: '["a",' });
  t.deepEqual((only('ENTRYPOINT [1, 2]') as { cmd: unknown }).cmd, { form: 'shell', command: '[1, 2]' });
  t.deepEqual((only("CMD ['sh']") as { cmd: unknown }).cmd, { form: 'shell', command: "['sh']" });
  t.deepEqual((only('CMD []') as { cmd: unknown }).cmd, { form: 'exec', args: [] });
  // Only the first JSON value counts, as podman 4.3.1 builds it: Cmd ["a"].
  t.deepEqual((only('CMD ["a"] x') as { cmd: unknown }).cmd, { form: 'exec', args: ['a'] });
  t.deepEqual((only('CMD ["a]", "b\\"]"] ["c"]') as { cmd: unknown }).cmd, { form: 'exec', args: ['a]', 'b"]'] });
});

test('original keeps the trailing blanks and drops the leading ones, as podman prints STEP lines', (t) => {
  const cf = parse('FROM scratch\n   LABEL a=b   \nLABEL\tc=d\nENV q="1" \\\n\t  r=2\t\n');
  t.deepEqual(cf.stages[0]!.instructions.map((i) => i.original), ['LABEL a=b   ', 'LABEL\tc=d', 'ENV q="1" \t  r=2\t']);
});

test('ENV and LABEL: several quoted pairs, and the legacy `ENV key value` form', (t) => {
  t.deepEqual((only('ENV A=1 B="two words" C=three\\ words D=\'$x\'') as { pairs: unknown }).pairs, [
    { key: 'A', value: '1' },
    { key: 'B', value: '"two words"' },
    { key: 'C', value: 'three\\ words' },
    { key: 'D', value: "'$x'" },
  ]);
  t.deepEqual((only('ENV PATH /usr/bin:$PATH and more') as { pairs: unknown }).pairs, [
    { key: 'PATH', value: '/usr/bin:$PATH and more' },
  ]);
  t.deepEqual((only('LABEL "com.example.vendor"="ACME Inc" version=1.0') as { pairs: unknown }).pairs, [
    { key: '"com.example.vendor"', value: '"ACME Inc"' },
    { key: 'version', value: '1.0' },
  ]);
});

test('ARG: names with and without defaults, several per line', (t) => {
  t.deepEqual((only('ARG A B=2 C="x y"') as { args: unknown }).args, [
    { key: 'A' },
    { key: 'B', value: '2' },
    { key: 'C', value: '"x y"' },
  ]);
});

test('COPY and ADD: flags, several sources, JSON form', (t) => {
  t.deepEqual(only('COPY --chown=1:2 --chmod=0755 --link a b* /dest/'), {
    kind: 'COPY', line: 2, endLine: 2, original: 'COPY --chown=1:2 --chmod=0755 --link a b* /dest/',
    sources: ['a', 'b*'], dest: '/dest/', json: false, chown: '1:2', chmod: '0755', link: true, exclude: [], heredocs: [],
  });
  const add = only('ADD ["a b", "https://example.com/x.tgz", "/d"]') as { kind: string; sources: string[]; dest: string; json: boolean };
  t.is(add.kind, 'ADD');
  t.deepEqual(add.sources, ['a b', 'https://example.com/x.tgz']);
  t.is(add.dest, '/d');
  t.true(add.json);
  t.is((only('ADD --checksum=sha256:abc --keep-git-dir=true a /b') as { checksum?: string }).checksum, 'sha256:abc');
  t.is((only('COPY --link=false a /b') as { link: boolean }).link, false);
});

test('COPY --from names an earlier stage (by name or index) or an image', (t) => {
  const cf = parse('FROM scratch AS one\nFROM scratch\nCOPY --from=one /a /a\nCOPY --from=0 /a /b\nCOPY --from=alpine:3 /c /c\n');
  const [a, b, c] = cf.stages[1]!.instructions as { from?: string; fromStage?: number }[];
  t.is(a!.from, 'one');
  t.is(a!.fromStage, 0);
  t.is(b!.fromStage, 0);
  t.is(c!.from, 'alpine:3');
  t.is(c!.fromStage, undefined);
});

test('COPY --from with a global ARG resolves the stage', (t) => {
  const cf = parse('ARG SRC=one\nFROM scratch AS one\nFROM scratch\nCOPY --from=$SRC /a /a\n');
  t.is((cf.stages[1]!.instructions[0] as { fromStage?: number }).fromStage, 0);
});

test('stages know the earlier stages they read: FROM, COPY --from, RUN --mount from=', (t) => {
  const cf = parse(
    [
      'FROM scratch AS deps',
      'FROM scratch AS tools',
      'FROM deps AS build',
      'COPY --from=tools /bin/x /bin/x',
      'RUN --mount=type=bind,from=1,target=/t --mount=type=cache,target=/c,from=deps true',
      'FROM alpine',
      'COPY --from=build /out /out',
      'COPY --from=busybox:latest /bin/sh /sh',
    ].join('\n'),
  );
  t.deepEqual(cf.stages.map((s) => s.dependsOn), [[], [], [0, 1], [2]]);
  t.is(cf.stages[2]!.from.stage, 0);
  t.is(cf.stages[3]!.from.stage, undefined);
  const run = cf.stages[2]!.instructions[1] as { mounts: { fromStage?: number }[] };
  t.deepEqual(run.mounts.map((m) => m.fromStage), [1, 0]);
  // The stage survives the execution-time re-parse of the mounts.
  t.deepEqual(expandInstruction(cf.stages[2]!.instructions[1] as RunInstruction, {}).mounts.map((m) => m.fromStage), [1, 0]);
});

test('FROM a later stage', fails('FROM later\nFROM scratch AS later\n', 1, /invalid FROM value later: stage later is defined after this one/));
test('RUN --mount from the current stage', fails('FROM scratch AS me\nRUN --mount=from=me,target=/x true\n', 2, 'invalid --mount from value me: refers to current build stage'));
test('COPY --from a later stage', fails('FROM scratch\nCOPY --from=later a b\nFROM scratch AS later\n', 2, /stage later is defined after this one/));
test('COPY --from the current stage', fails('FROM scratch AS me\nCOPY --from=me a b\n', 2, 'invalid from flag value me: refers to current build stage'));
test('COPY --from an index out of range', fails('FROM scratch\nCOPY --from=3 a b\n', 2, 'invalid from flag value 3: index out of bounds'));

test('WORKDIR, USER, STOPSIGNAL, MAINTAINER take the rest of the line', (t) => {
  t.is((only('WORKDIR /a b') as { path: string }).path, '/a b');
  t.is((only('USER app:app') as { user: string }).user, 'app:app');
  t.is((only('STOPSIGNAL SIGKILL') as { signal: string }).signal, 'SIGKILL');
  t.is((only('MAINTAINER Jane <jane@example.com>') as { maintainer: string }).maintainer, 'Jane <jane@example.com>');
});

test('EXPOSE and VOLUME', (t) => {
  t.deepEqual((only('EXPOSE 80 53/udp $PORT') as { ports: string[] }).ports, ['80', '53/udp', '$PORT']);
  t.deepEqual(only('VOLUME /a /b'), { kind: 'VOLUME', line: 2, endLine: 2, original: 'VOLUME /a /b', paths: ['/a', '/b'], json: false });
  t.deepEqual((only('VOLUME ["/a b"]') as { paths: string[] }).paths, ['/a b']);
});

test('SHELL takes the JSON form only', (t) => {
  t.deepEqual((only('SHELL ["/bin/bash", "-c"]') as { shell: string[] }).shell, ['/bin/bash', '-c']);
});
test('SHELL in shell form', fails('FROM scratch\nSHELL /bin/sh -c\n', 2, 'SHELL requires the arguments to be in JSON form'));

test('HEALTHCHECK: CMD with durations in nanoseconds, NONE', (t) => {
  t.deepEqual(only('HEALTHCHECK --interval=30s --timeout=1m30s --start-period=500ms --retries=3 CMD curl -f http://localhost/'), {
    kind: 'HEALTHCHECK', line: 2, endLine: 2,
    original: 'HEALTHCHECK --interval=30s --timeout=1m30s --start-period=500ms --retries=3 CMD curl -f http://localhost/',
    none: false, cmd: { form: 'shell', command: 'curl -f http://localhost/' },
    interval: 30e9, timeout: 90e9, startPeriod: 500e6, retries: 3,
  });
  t.deepEqual((only('HEALTHCHECK cmd ["true"]') as { cmd: unknown }).cmd, { form: 'exec', args: ['true'] });
  t.true((only('HEALTHCHECK NONE') as { none: boolean }).none);
});
test('HEALTHCHECK NONE with arguments', fails('FROM scratch\nHEALTHCHECK NONE x\n', 2, 'HEALTHCHECK NONE takes no arguments'));
test('HEALTHCHECK of an unknown type', fails('FROM scratch\nHEALTHCHECK RUN x\n', 2, 'Unknown type "RUN" in HEALTHCHECK (try CMD)'));
test('HEALTHCHECK with a bad duration', fails('FROM scratch\nHEALTHCHECK --interval=5 CMD x\n', 2, /invalid duration "5"/));
test('HEALTHCHECK with negative retries', fails('FROM scratch\nHEALTHCHECK --retries=-1 CMD x\n', 2, '--retries cannot be negative (-1)'));

test('ONBUILD keeps the trigger text and parses it', (t) => {
  const ob = only('ONBUILD RUN --network=none echo hi') as { expression: string; trigger: Instruction };
  t.is(ob.expression, 'RUN --network=none echo hi');
  t.is(ob.trigger.kind, 'RUN');
  t.is((ob.trigger as { network?: string }).network, 'none');
  t.is(ob.trigger.line, 2);
});
test('ONBUILD ONBUILD', fails('FROM scratch\nONBUILD ONBUILD RUN x\n', 2, /ONBUILD ONBUILD/));
test('ONBUILD FROM', fails('FROM scratch\nONBUILD FROM x\n', 2, "FROM isn't allowed as an ONBUILD trigger"));
test('ONBUILD of an unknown instruction', fails('FROM scratch\nONBUILD FOO x\n', 2, 'unknown instruction: "FOO"'));

test('RUN --network and --mount flags', (t) => {
  const run = only('RUN --network=host --mount=type=cache,target=/root/.cache --mount=type=secret,id=tok true') as {
    network: string;
    mounts: { type: string; target?: string }[];
  };
  t.is(run.network, 'host');
  t.deepEqual(run.mounts.map((m) => [m.type, m.target]), [['cache', '/root/.cache'], ['secret', '/run/secrets/tok']]);
});

test('global ARGs expand in FROM; --build-arg overrides; platform args are visible', (t) => {
  const text = 'ARG BASE=alpine\nARG TAG=3.19\nARG REF=${BASE}:${TAG}\nFROM $REF AS a\nFROM --platform=$BUILDPLATFORM ${BASE}:${TAG:-x}-$TARGETARCH\n';
  const cf = parse(text);
  t.is(cf.globalArgs.length, 3);
  t.is(cf.stages[0]!.from.image, 'alpine:3.19');
  t.is(cf.stages[0]!.from.rawImage, '$REF');
  t.is(cf.stages[1]!.from.image, 'alpine:3.19-amd64');
  t.is(cf.stages[1]!.from.platform, 'linux/amd64');
  t.deepEqual(cf.globalArgValues, { BASE: 'alpine', TAG: '3.19', REF: 'alpine:3.19' });
  t.is(parse(text, { TAG: 'edge' }).stages[0]!.from.image, 'alpine:edge');
  t.is(parse(text, { REF: 'busybox' }).stages[0]!.from.image, 'busybox');
});

test('an ARG declared inside a stage does not reach the next FROM', (t) => {
  const cf = parse('ARG X=global\nFROM scratch\nARG X=stage\nFROM img:$X\n');
  t.is(cf.stages[1]!.from.image, 'img:global');
});

test('a blank FROM after expansion', fails('ARG IMG\nFROM $IMG\n', 2, 'base name ($IMG) should not be blank'));

test('a CRLF file and a byte order mark parse as the plain file', (t) => {
  const cf = parse('\uFEFFFROM scratch\r\nRUN echo a \\\r\n  b\r\n');
  t.is(cf.stages[0]!.instructions[0]!.original, 'RUN echo a   b');
});

// Errors: each names the file and line, as podman's messages do where it has one.
test('empty file', fails('', 0, 'no contents in the file'));
test('only comments', fails('# nothing\n\n', 0, /no stages to build/));
test('unknown instruction', fails('FROM scratch\nFOO bar\n', 2, 'unknown instruction: "FOO"'));
test('instruction before FROM', fails('ARG A\nLABEL a=b\nFROM scratch\n', 2, /LABEL is not allowed before the first FROM/));
test('FROM without image', fails('FROM\n', 1, 'FROM requires either one argument, or three: FROM <source> [as <name>]'));
test('FROM a AS without name', fails('FROM scratch AS\n', 1, 'FROM requires either one argument, or three: FROM <source> [as <name>]'));
test('FROM a B c', fails('FROM scratch into c\n', 1, /FROM requires either one argument/));
test('bad stage name', fails('FROM scratch AS 1st\n', 1, /invalid name for build stage: "1st"/));
test('duplicate stage names', fails('FROM scratch AS a\nRUN x\nFROM scratch AS A\n', 3, 'duplicate name "a" for build stage'));
test('LABEL without arguments', fails('FROM scratch\nLABEL\n', 2, 'LABEL requires at least one argument'));
test('ENV without arguments', fails('FROM scratch\nENV\n', 2, 'ENV requires at least one argument'));
test('ENV with a key only', fails('FROM scratch\nENV a\n', 2, 'ENV must have two arguments'));
test('ENV with a pair then a word', fails('FROM scratch\nENV a=1 b\n', 2, 'Syntax error - can\'t find = in "b". Must be of the form: name=value'));
test('ARG without arguments', fails('FROM scratch\nARG\n', 2, 'ARG requires at least one argument'));
test('RUN without arguments', fails('FROM scratch\nRUN\n', 2, 'RUN requires at least one argument'));
test('WORKDIR without arguments', fails('FROM scratch\nWORKDIR\n', 2, 'WORKDIR requires exactly one argument'));
test('EXPOSE without arguments', fails('FROM scratch\nEXPOSE\n', 2, 'EXPOSE requires at least one argument'));
test('COPY with one argument', fails('FROM scratch\nCOPY a\n', 2, /COPY requires at least two arguments, but only one was provided/));
test('COPY with an unknown flag', fails('FROM scratch\nCOPY --foo=bar a b\n', 2, 'COPY: unknown flag: --foo'));
test('COPY with a flag value missing', fails('FROM scratch\nCOPY --from a b\n', 2, 'COPY: missing a value on flag: --from'));
test('COPY with a bad boolean', fails('FROM scratch\nCOPY --link=maybe a b\n', 2, 'COPY: expecting boolean value for flag --link, not: maybe'));
test('a duplicate flag', fails('FROM scratch\nCOPY --chown=1 --chown=2 a b\n', 2, 'COPY: duplicate flag specified: --chown'));
test('a flag on an instruction without flags', fails('FROM scratch\nWORKDIR --x=1 /a\n', 2, 'WORKDIR: unknown flag: --x'));
test('RUN with a bad network', fails('FROM scratch\nRUN --network=bridge x\n', 2, 'unsupported network mode "bridge"'));
test('a bad expansion in FROM', fails('FROM ${X:?unset}\n', 1, 'X: unset'));
test('an error on a continued line names its first line', fails('FROM scratch\nRUN a \\\n b\nCOPY \\\n  onlyone\n', 4, /COPY requires at least two arguments/));

test('the error message reads FILE:LINE: reason and has code ECONTAINERFILE', (t) => {
  const err = t.throws(() => parseContainerfile('FROM scratch\nBAD x\n', { file: 'sub/Dockerfile' }), { instanceOf: ContainerfileError });
  t.is(err?.message, 'sub/Dockerfile:2: unknown instruction: "BAD"');
  t.is(err?.code, 'ECONTAINERFILE');
  t.is(err?.file, 'sub/Dockerfile');
});

test('ONBUILD with a heredoc stores the body in its trigger text, as docker does', (t) => {
  const ob = only('ONBUILD RUN <<EOF\necho hi\nEOF') as { expression: string };
  t.is(ob.expression, 'RUN <<EOF\necho hi\nEOF');
});

test('parseOnbuildTriggers parses a base image\'s triggers at the FROM line', (t) => {
  const list = parseOnbuildTriggers(['COPY --chown=1 . /app', 'RUN <<EOF\necho hi\nEOF', 'ENV A=1 B="x y"'], {
    file: 'Containerfile',
    line: 4,
  });
  t.deepEqual(list.map((i) => [i.kind, i.line]), [['COPY', 4], ['RUN', 4], ['ENV', 4]]);
  t.is((list[0] as { chown?: string }).chown, '1');
  t.deepEqual((list[1] as { heredocs: { content: string }[] }).heredocs.map((h) => h.content), ['echo hi\n']);
  // What parseContainerfile stores is what parseOnbuildTriggers reads back.
  const stored = (only('ONBUILD RUN <<-EOF sh\n\techo a\n\tEOF') as { expression: string }).expression;
  const [run] = parseOnbuildTriggers([stored], { file: 'Containerfile', line: 1 });
  t.deepEqual((run as { heredocs: unknown }).heredocs, [{ name: 'EOF', content: 'echo a\n', expand: true, chomp: true }]);
});

test('parseOnbuildTriggers rejects bad triggers with the FROM line', (t) => {
  for (const [trigger, reason] of [
    ['FOO bar', 'unknown instruction: "FOO"'],
    ['FROM alpine', "FROM isn't allowed as an ONBUILD trigger"],
    ['ONBUILD RUN x', "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"],
    ['COPY a', 'COPY requires at least two arguments, but only one was provided. Destination could not be determined.'],
    ['RUN <<EOF\nno end', 'unterminated heredoc "EOF"'],
    ['', 'expected exactly one instruction'],
  ] as const) {
    const err = t.throws(() => parseOnbuildTriggers([trigger], { file: 'Containerfile', line: 7 }), { instanceOf: ContainerfileError });
    t.is(err?.line, 7);
    t.is(err?.reason, `ONBUILD trigger "${trigger.split('\n')[0]}" of the base image: ${reason}`);
  }
});
