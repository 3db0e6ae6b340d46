// The executor's pure half: history entries as buildah writes them, config
// helpers, the format's docker-only fields, and which stages a target needs.
import test from 'ava';
import { parseContainerfile } from '../../../src/build/containerfile/parse.js';
import { commandArgv } from '../../../src/build/containerfile/command.js';
import { exposedPortKey, forFormat, nopCreatedBy, runCreatedBy, setEnv, withStep, type BuildImageConfig } from '../../../src/build/executor/config.js';
import { neededStages } from '../../../src/build/executor/executor.js';

test('RUN created_by: the build args in effect, sorted and counted, before the argv (podman 4.3.1: `|1 FOO=baz /bin/sh -c ...`)', (t) => {
  t.is(runCreatedBy(['/bin/sh', '-c', 'echo $FOO'], { FOO: 'baz' }), '|1 FOO=baz /bin/sh -c echo $FOO');
  t.is(runCreatedBy(['/bin/sh', '-c', 'true'], { B: '2', A: '1' }), '|2 A=1 B=2 /bin/sh -c true');
  t.is(runCreatedBy(['/bin/sh', '-c', 'true'], {}), '/bin/sh -c true');
  t.is(nopCreatedBy('ENV A=1'), '/bin/sh -c #(nop) ENV A=1');
});

test('shell and exec forms; EXPOSE keys; ENV replaces a variable in place', (t) => {
  t.deepEqual(commandArgv({ form: 'shell', command: 'echo hi' }, ['/bin/sh', '-c']), ['/bin/sh', '-c', 'echo hi']);
  t.deepEqual(commandArgv({ form: 'shell', command: 'echo hi' }, ['/bin/bash', '-ec']), ['/bin/bash', '-ec', 'echo hi']);
  t.deepEqual(commandArgv({ form: 'exec', args: ['a', 'b c'] }, ['/bin/sh', '-c']), ['a', 'b c']);
  t.is(exposedPortKey('80'), '80/tcp');
  t.is(exposedPortKey('53/UDP'), '53/udp');
  t.deepEqual(setEnv(['PATH=/bin', 'A=1'], 'PATH', '/usr/bin'), ['PATH=/usr/bin', 'A=1']);
  t.deepEqual(setEnv(['PATH=/bin'], 'B', 'x=y'), ['PATH=/bin', 'B=x=y']);
});

test('a step adds a history entry; a metadata step is an empty layer, a layer step adds its diff id', (t) => {
  const base: BuildImageConfig = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ['sha256:a'] }, history: [{ created_by: 'import' }] };
  const meta = withStep(base, { createdBy: 'M', comment: 'FROM x' }, 'T');
  t.deepEqual(meta.history, [{ created_by: 'import' }, { created: 'T', created_by: 'M', comment: 'FROM x', empty_layer: true }]);
  t.deepEqual(meta.rootfs.diff_ids, ['sha256:a']);
  const layer = withStep(meta, { createdBy: 'L', comment: 'FROM y', diffId: 'sha256:b' }, 'U');
  t.deepEqual(layer.rootfs.diff_ids, ['sha256:a', 'sha256:b']);
  t.is(layer.history!.at(-1)!.empty_layer, undefined);
  t.deepEqual(base.history, [{ created_by: 'import' }], 'the input is not changed');
});

test('--format oci drops HEALTHCHECK, ONBUILD and SHELL and says which; docker keeps them', (t) => {
  const image: BuildImageConfig = {
    architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] },
    config: { Cmd: ['sh'], Healthcheck: { Test: ['NONE'] }, OnBuild: ['RUN x'], Shell: ['/bin/bash', '-c'] },
  };
  const oci = forFormat(image, 'oci');
  t.deepEqual(oci.image.config, { Cmd: ['sh'] });
  t.deepEqual(oci.dropped, ['HEALTHCHECK', 'ONBUILD', 'SHELL']);
  t.is(forFormat(image, 'docker').image, image);
});

test('the stages a target needs: FROM and COPY --from, by name and index, not the unrelated ones', (t) => {
  const file = parseContainerfile([
    'FROM bb AS a', 'RUN true',
    'FROM bb AS b', 'RUN true',
    'FROM a AS c', 'COPY --from=1 /x /x',
    'FROM bb AS d', 'COPY --from=a /y /y',
    '',
  ].join('\n'), { file: 'Containerfile' });
  t.deepEqual(neededStages(file.stages, 2), [0, 1, 2]);
  t.deepEqual(neededStages(file.stages, 3), [0, 3]);
  t.deepEqual(neededStages(file.stages, 1), [1]);
});
