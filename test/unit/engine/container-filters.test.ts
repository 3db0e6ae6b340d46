// ps --filter / --sort over listed containers, as podman's.
import test from 'ava';
import { filterContainers, parseContainerFilters, sortContainers } from '../../../src/engine/container/filters.js';
import type { ContainerInfo } from '../../../src/engine/container/record.js';
import { SkiffError } from '../../../src/util/errors.js';

function container(id: string, name: string, created: string, status: string, extra: { exitCode?: number; labels?: Record<string, string>; image?: string; network?: string } = {}): ContainerInfo {
  return {
    record: {
      id: id.repeat(64).slice(0, 64), name, created, entrypoint: [], cmd: [name],
      image: { id: 'e'.repeat(64), name: extra.image ?? 'localhost/bb:latest' },
      spec: { labels: extra.labels ?? {}, network: { mode: extra.network ?? 'none' } },
    },
    state: { status, exitCode: extra.exitCode },
    monitorLost: false,
  } as unknown as ContainerInfo;
}

const web = container('a', 'web', '2024-01-01T00:00:00.000Z', 'running', { labels: { tier: 'front' } });
const web2 = container('b', 'web2', '2024-01-01T00:00:00.001Z', 'exited', { exitCode: 3, labels: { tier: 'front', x: '' } });
const db = container('c', 'db', '2024-01-02T00:00:00.000Z', 'created', { image: 'docker.io/library/postgres:16', network: 'slirp4netns' });
const all = [db, web2, web];
const run = (...specs: string[]) => filterContainers(all, parseContainerFilters(specs)).map((c) => c.record.name).sort().join(',');

test('name= is a regular expression, id= a prefix', (t) => {
  t.is(run('name=web'), 'web,web2');
  t.is(run('name=^web$'), 'web');
  t.is(run('id=bbb'), 'web2');
});

test('status=, exited=, label=, ancestor=, network=, before=, since=', (t) => {
  t.is(run('status=running', 'status=created'), 'db,web');
  t.is(run('exited=3'), 'web2');
  // podman: status=stopped is status=exited.
  t.is(run('status=stopped'), 'web2');
  t.is(run('status=exited'), 'web2');
  t.is(run('label=tier=front', 'label=x'), 'web2');
  t.is(run('ancestor=postgres'), 'db');
  t.is(run('ancestor=localhost/bb'), 'web,web2');
  t.is(run('ancestor=eeeeee'), 'db,web,web2');
  t.is(run('network=slirp4netns'), 'db');
  t.is(run('before=db'), 'web,web2');
  t.is(run('since=web'), 'db,web2');
  t.is(run('volume=v'), '');
});

test('bad filters are errors', (t) => {
  for (const spec of ['color=red', 'status=sleeping', 'exited=x', 'name', 'health=great', 'name=(']) {
    t.throws(() => parseContainerFilters([spec]), { instanceOf: SkiffError }, spec);
  }
  t.throws(() => filterContainers(all, parseContainerFilters(['before=nope'])), { instanceOf: SkiffError });
});

// podman 4.3 lists oldest first, by default and with --sort created (040-ps.bats "podman ps --filter").
test('--sort: created oldest first by default (ms apart), names, status', (t) => {
  t.deepEqual(sortContainers([web, db, web2]).map((c) => c.record.name), ['web', 'web2', 'db']);
  t.deepEqual(sortContainers([db, web2, web], 'created').map((c) => c.record.name), ['web', 'web2', 'db']);
  t.deepEqual(sortContainers(all, 'names').map((c) => c.record.name), ['db', 'web', 'web2']);
  t.deepEqual(sortContainers(all, 'status').map((c) => c.state.status), ['created', 'exited', 'running']);
});
