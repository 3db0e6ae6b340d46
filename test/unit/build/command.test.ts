import test from 'ava';
import { parseContainerfile } from '../../../src/build/containerfile/parse.js';
import { commandArgv, runPlan } from '../../../src/build/containerfile/command.js';
import type { CmdInstruction, RunInstruction } from '../../../src/build/containerfile/ast.js';

function run(body: string): RunInstruction {
  return parseContainerfile(`FROM scratch\n${body}`, { file: 'Containerfile' }).stages[0]!.instructions[0] as RunInstruction;
}

test('shell and exec forms', (t) => {
  t.deepEqual(runPlan(run('RUN echo $HOME')), { argv: ['/bin/sh', '-c', 'echo $HOME'] });
  t.deepEqual(runPlan(run('RUN ["echo", "$HOME"]')), { argv: ['echo', '$HOME'] });
  t.deepEqual(runPlan(run('RUN echo hi'), ['/bin/bash', '-eo', 'pipefail', '-c']), { argv: ['/bin/bash', '-eo', 'pipefail', '-c', 'echo hi'] });
  const cmd = parseContainerfile('FROM scratch\nCMD nginx -g "daemon off;"', { file: 'Containerfile' }).stages[0]!.instructions[0] as CmdInstruction;
  t.deepEqual(commandArgv(cmd.cmd), ['/bin/sh', '-c', 'nginx -g "daemon off;"']);
});

test('RUN <<EOF runs the body in the shell', (t) => {
  t.deepEqual(runPlan(run('RUN <<EOF\napk add git\necho done\nEOF')), { argv: ['/bin/sh', '-c', 'apk add git\necho done\n'] });
  t.deepEqual(runPlan(run('RUN <<-"EOF"\n\techo $x\n\tEOF')), { argv: ['/bin/sh', '-c', 'echo $x\n'] });
});

test('RUN <<EOF with a #! line runs the body as a script', (t) => {
  t.deepEqual(runPlan(run('RUN <<PY\n#!/usr/bin/env python3\nprint(1)\nPY')), {
    argv: ['/dev/pipes/PY'],
    script: { path: '/dev/pipes/PY', content: '#!/usr/bin/env python3\nprint(1)\n' },
  });
  t.is(runPlan(run('RUN <<PY\n#!/bin/sh\nPY'), undefined, '/tmp/heredocs/').argv[0], '/tmp/heredocs/PY');
});

test('a command line with heredocs goes to the shell with the bodies and delimiters', (t) => {
  t.deepEqual(runPlan(run('RUN cat <<A > /a && cat <<B > /b\none\nA\ntwo\nB')), {
    argv: ['/bin/sh', '-c', 'cat <<A > /a && cat <<B > /b\none\nA\ntwo\nB'],
  });
  t.deepEqual(runPlan(run('RUN <<EOF bash\necho hi\nEOF')), { argv: ['/bin/sh', '-c', '<<EOF bash\necho hi\nEOF'] });
});
