// restart and container prune --filter: label!=, until=, and the keys a command accepts.
import test from 'ava';
import type { ContainerInfo } from '../../../src/engine/container/record.js';
import { filterContainers, parseContainerFilters, parseUntil } from '../../../src/engine/container/filters.js';
import { SkiffError } from '../../../src/util/errors.js';

function ctr(id: string, name: string, status: 'created' | 'running' | 'exited', created: string, labels: Record<string, string> = {}): ContainerInfo {
  return { record: { id: id.repeat(64).slice(0, 64), name, created, spec: { labels } }, state: { status }, monitorLost: false } as unknown as ContainerInfo;
}

const NOW = Date.parse('2024-06-01T12:00:00Z');
const web = ctr('a', 'web', 'running', '2024-06-01T11:00:00Z', { tier: 'front', team: 'x' });
const db = ctr('b', 'db', 'exited', '2024-05-01T00:00:00Z', { tier: 'back' });
const job = ctr('c', 'job', 'created', '2024-06-01T11:59:00Z');
const all = [web, db, job];
const run = (...specs: string[]) => filterContainers(all, parseContainerFilters(specs, undefined, NOW), all, NOW).map((c) => c.record.name).join(',');

test('parseContainerFilters: unknown keys, keys a command does not take, missing values are errors', (t) => {
  t.deepEqual(parseContainerFilters(['label=a=b', 'until=1h']), [{ key: 'label', value: 'a=b' }, { key: 'until', value: '1h' }]);
  t.is(t.throws(() => parseContainerFilters(['colour=red']), { instanceOf: SkiffError })!.message, 'colour is an invalid filter');
  t.throws(() => parseContainerFilters(['status=running'], ['label', 'until']), { message: 'status is an invalid filter' });
  t.throws(() => parseContainerFilters(['label']), { message: 'invalid filter "label": expected KEY=VALUE' });
  t.throws(() => parseContainerFilters(['label=']), { message: 'invalid filter "label=": the value is empty' });
  t.throws(() => parseContainerFilters(['status=sleeping']), { message: 'invalid status filter "sleeping"' });
  t.throws(() => parseContainerFilters(['name=(']), { message: 'invalid name filter "(": not a regular expression' });
  t.throws(() => parseContainerFilters(['until=yesterday']), { instanceOf: SkiffError });
});

test('parseUntil: Go durations, RFC 3339 times and Unix seconds', (t) => {
  t.is(parseUntil('1h30m', NOW), NOW - 90 * 60_000);
  t.is(parseUntil('90s', NOW), NOW - 90_000);
  t.is(parseUntil('1.5h', NOW), NOW - 90 * 60_000);
  t.is(parseUntil('2024-05-02T00:00:00Z', NOW), Date.parse('2024-05-02T00:00:00Z'));
  t.is(parseUntil('1717243200', NOW), 1717243200_000);
});

test('filterContainers: label= must all match, label!= none; several names or statuses match any', (t) => {
  t.is(run(), 'web,db,job');
  t.is(run('label=tier'), 'web,db');
  t.is(run('label=tier=front'), 'web');
  t.is(run('label=tier', 'label=team=x'), 'web');
  t.is(run('label!=tier=front'), 'db,job');
  t.is(run('label!=tier'), 'job');
  t.is(run('status=running', 'status=created'), 'web,job');
  t.is(run('name=^jo', 'name=^db$'), 'db,job');
  t.is(run('id=b'), 'db');
});

test('filterContainers: until= keeps containers created before the time', (t) => {
  t.is(run('until=30m'), 'web,db');
  t.is(run('until=2024-05-02T00:00:00Z'), 'db');
  t.is(run('until=30m', 'label=tier=back'), 'db');
});
