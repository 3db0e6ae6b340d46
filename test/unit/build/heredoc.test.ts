import test from 'ava';
import { parseContainerfile } from '../../../src/build/containerfile/parse.js';
import { ContainerfileError } from '../../../src/build/containerfile/errors.js';
import { expandInstruction } from '../../../src/build/containerfile/scope.js';
import type { CopyInstruction, Instruction, OnbuildInstruction, RunInstruction } from '../../../src/build/containerfile/ast.js';

function stage(body: string): Instruction[] {
  return parseContainerfile(`FROM scratch\n${body}`, { file: 'Containerfile' }).stages[0]!.instructions;
}

test('RUN <<EOF: the body is kept, the lines it spans are skipped, the next instruction parses', (t) => {
  const [run, env] = stage('RUN <<EOF\necho "$HOME"\n  # not a comment here\n\nEOF\nENV A=1\n');
  t.deepEqual(run, {
    kind: 'RUN', line: 2, endLine: 6, original: 'RUN <<EOF',
    cmd: { form: 'shell', command: '<<EOF' }, mounts: [],
    heredocs: [{ name: 'EOF', content: 'echo "$HOME"\n  # not a comment here\n\n', expand: true, chomp: false }],
  });
  t.is(env!.kind, 'ENV');
  t.is(env!.line, 7);
});

test('<<-EOF strips leading tabs from the body and the terminator', (t) => {
  const [run] = stage('RUN <<-EOT bash\n\techo a\n\t\techo b\n    echo c\n\tEOT\n') as RunInstruction[];
  t.deepEqual(run!.heredocs, [{ name: 'EOT', content: 'echo a\necho b\n    echo c\n', expand: true, chomp: true }]);
  t.deepEqual(run!.cmd, { form: 'shell', command: '<<-EOT bash' });
});

test('a quoted delimiter turns expansion off', (t) => {
  const runs = stage("RUN <<\"EOF\"\na\nEOF\nRUN <<'EOF'\nb\nEOF\nRUN <<E\"O\"F\nc\nEOF\n") as RunInstruction[];
  t.deepEqual(runs.map((r) => [r.heredocs[0]!.name, r.heredocs[0]!.expand]), [['EOF', false], ['EOF', false], ['EOF', false]]);
});

test('several heredocs on one line are read in order', (t) => {
  const [run] = stage('RUN python3 - <<PY 3<<DATA\nprint(1)\nPY\nsome data\nDATA\nUSER x\n') as RunInstruction[];
  t.deepEqual(run!.heredocs.map((h) => [h.name, h.content]), [['PY', 'print(1)\n'], ['DATA', 'some data\n']]);
  t.is(run!.endLine, 6);
});

test('COPY <<EOF /dest: the heredoc is a source named <<EOF; its body expands unless quoted', (t) => {
  const [copy, quoted] = stage('COPY --chmod=0755 <<EOF /usr/local/bin/hello\n#!/bin/sh\necho "hi $NAME"\nEOF\nCOPY <<"EOF" /b\n$NAME\nEOF\n') as CopyInstruction[];
  t.deepEqual(copy!.sources, ['<<EOF']);
  t.is(copy!.dest, '/usr/local/bin/hello');
  t.is(copy!.chmod, '0755');
  const expanded = expandInstruction(copy!, { NAME: 'you' });
  t.is(expanded.heredocs[0]!.content, '#!/bin/sh\necho "hi you"\n');
  t.deepEqual(expanded.sources, ['<<EOF']);
  t.is(expandInstruction(quoted!, { NAME: 'you' }).heredocs[0]!.content, '$NAME\n');
});

test('COPY with two heredocs and a plain source', (t) => {
  const [copy] = stage('COPY <<A plain.txt <<B /dir/\nfirst\nA\nsecond\nB\n') as CopyInstruction[];
  t.deepEqual(copy!.sources, ['<<A', 'plain.txt', '<<B']);
  t.deepEqual(copy!.heredocs.map((h) => h.name), ['A', 'B']);
});

test('no heredoc in the exec form, in quotes, or in other instructions', (t) => {
  const list = stage('RUN ["sh", "-c", "cat <<EOF"]\nRUN echo "<<EOF"\nLABEL a=<<EOF\nRUN [ -f x ] || cat <<EOF\nbody\nEOF\n');
  t.is(list.length, 4);
  t.deepEqual((list[0] as RunInstruction).heredocs, []);
  t.deepEqual((list[1] as RunInstruction).heredocs, []);
  t.is(list[2]!.kind, 'LABEL');
  // A shell command that starts with `[` is still the shell form.
  t.deepEqual((list[3] as RunInstruction).heredocs.map((h) => h.name), ['EOF']);
});

test('ONBUILD RUN <<EOF keeps the body with the trigger', (t) => {
  const [ob, user] = stage('ONBUILD RUN <<EOF\necho hi\nEOF\nUSER a\n') as [OnbuildInstruction, Instruction];
  t.deepEqual((ob.trigger as RunInstruction).heredocs.map((h) => h.content), ['echo hi\n']);
  t.is(user.kind, 'USER');
});

test('a heredoc after a continuation line', (t) => {
  const [run] = stage('RUN --network=none \\\n  cat <<EOF\nx\nEOF\n') as RunInstruction[];
  t.is(run!.network, 'none');
  t.deepEqual(run!.heredocs.map((h) => h.content), ['x\n']);
  t.is(run!.line, 2);
  t.is(run!.endLine, 5);
});

test('an unterminated heredoc is an error at its instruction', (t) => {
  const err = t.throws(() => stage('RUN true\nCOPY <<EOF /x\nhello\n'), { instanceOf: ContainerfileError });
  t.is(err?.line, 3);
  t.is(err?.reason, 'unterminated heredoc "EOF"');
});
