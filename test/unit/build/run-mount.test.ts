import test from 'ava';
import { parseRunMount } from '../../../src/build/containerfile/run-mount.js';
import { parseContainerfile } from '../../../src/build/containerfile/parse.js';
import { expandInstruction } from '../../../src/build/containerfile/scope.js';
import { ContainerfileError, RunMountError } from '../../../src/build/containerfile/errors.js';
import type { RunInstruction } from '../../../src/build/containerfile/ast.js';

const mount = test.macro({
  exec(t, raw: string, expected: Record<string, unknown>) {
    t.deepEqual(parseRunMount(raw), { raw, ...expected });
  },
  title: (title, raw: string) => title ?? `--mount=${raw}`,
});

test(mount, 'target=/src', { type: 'bind', target: '/src', readonly: true });
test(mount, 'type=bind,from=builder,source=/out,target=/in,rw', { type: 'bind', from: 'builder', source: '/out', target: '/in', readonly: false });
test(mount, 'type=bind,src=a,dst=/b,readonly=false', { type: 'bind', source: 'a', target: '/b', readonly: false });
test(mount, 'type=cache,target=/root/.cache', { type: 'cache', target: '/root/.cache', readonly: false, sharing: 'shared', id: '/root/.cache' });
test(mount, 'type=cache,id=go,target=/go,sharing=LOCKED,mode=0700,uid=1000,gid=1000,ro', {
  type: 'cache', id: 'go', target: '/go', sharing: 'locked', mode: 0o700, uid: 1000, gid: 1000, readonly: true,
});
test(mount, 'type=tmpfs,target=/tmp,size=64m', { type: 'tmpfs', target: '/tmp', size: 64 * 1024 * 1024, readonly: false });
test(mount, 'type=secret,id=aws', { type: 'secret', id: 'aws', target: '/run/secrets/aws', readonly: true, required: false });
test(mount, 'type=secret,target=/etc/token,required', { type: 'secret', id: 'token', target: '/etc/token', readonly: true, required: true });
test(mount, 'type=secret,id=tok,env=TOKEN', { type: 'secret', id: 'tok', env: 'TOKEN', readonly: true, required: false });
test(mount, 'type=ssh', { type: 'ssh', id: 'default', readonly: true, required: false });
test(mount, '"type=bind","target=/a,b"', { type: 'bind', target: '/a,b', readonly: true });

const bad = test.macro({
  exec(t, raw: string, message: string) {
    t.throws(() => parseRunMount(raw), { instanceOf: RunMountError, message });
  },
  title: (title, raw: string) => title ?? `--mount=${raw} is an error`,
});

test(bad, 'type=volume,target=/a', 'unsupported mount type "volume"');
test(bad, 'type=bind', 'mount type bind requires a target');
test(bad, 'type=cache,target=/a,sharing=maybe', 'unsupported sharing value "maybe"');
test(bad, 'type=bind,target=/a,sharing=locked', 'invalid cache sharing set for bind mount');
test(bad, 'type=bind,target=/a,mode=0700', 'mode not allowed for "bind" type mounts');
test(bad, 'type=bind,target=/a,size=1m', "unexpected key 'size' for mount type 'bind'");
test(bad, 'type=bind,target=/a,required', "unexpected key 'required' for mount type 'bind'");
test(bad, 'type=cache,target=/a,uid=x', 'invalid value x for uid');
test(bad, 'type=cache,target=/a,mode=9', 'invalid value 9 for mode');
test(bad, 'type=bind,target=/a,ro=maybe', 'invalid value for ro: maybe');
test(bad, 'type=bind,target=/a,colour=red', "unexpected key 'colour' in 'colour=red'");
test(bad, 'type=bind,target', "invalid field 'target' must be a key=value pair");
test(bad, 'type=secret', 'invalid secret mount. one of source, target required');
test(bad, 'type=secret,id=a,source=b', "both source and id can't be set");
test(bad, 'type=secret,id=a,from=x', 'secret mount should not have a from');
test(bad, 'type=bind,target=/a,from=$STAGE', "'from' doesn't support variable expansion, define alias stage instead");

test('a bad --mount fails the parse with the file and line', (t) => {
  const err = t.throws(() => parseContainerfile('FROM scratch\nRUN --mount=type=nfs,target=/a true\n', { file: 'Containerfile' }), {
    instanceOf: ContainerfileError,
  });
  t.is(err?.message, 'Containerfile:2: RUN --mount=type=nfs,target=/a: unsupported mount type "nfs"');
});

test('--mount values with variables are checked and expanded at execution time', (t) => {
  const cf = parseContainerfile('FROM scratch\nRUN --mount=type=cache,target=$DIR,uid=${UID} true\n', { file: 'Containerfile' });
  const run = cf.stages[0]!.instructions[0] as RunInstruction;
  t.is(run.mounts[0]!.target, '$DIR');
  t.is(run.mounts[0]!.uid, undefined);
  const expanded = expandInstruction(run, { DIR: '/cache', UID: '1000' });
  t.like(expanded.mounts[0]!, { type: 'cache', target: '/cache', id: '/cache', uid: 1000 });
  t.deepEqual(expanded.cmd, run.cmd);
  t.throws(() => expandInstruction(run, { DIR: '/c', UID: 'root' }), {
    instanceOf: RunMountError,
    message: '--mount=type=cache,target=$DIR,uid=${UID}: invalid value root for uid',
  });
});
