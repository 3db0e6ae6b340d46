// `volume ls|prune --filter` as podman's: name is a regular expression,
// label/label!/opt match KEY or KEY=VALUE, dangling needs true or false,
// prune takes only label, label! and until; unknown keys get podman's error.
import test from 'ava';
import { filterVolumes, parseVolumeFilters, type VolumeRecord } from '../../../src/engine/volume/volumes.js';
import { SkiffError } from '../../../src/util/errors.js';

const volume = (name: string, extra: Partial<VolumeRecord> = {}): VolumeRecord => ({
  name, driver: 'local', createdAt: '2024-05-01T10:00:00.000Z', labels: {}, options: {}, anonymous: false, needsCopyUp: true, needsChown: true, ...extra,
});

const all = [
  volume('web', { labels: { app: 'web', tier: '' } }),
  volume('db', { labels: { app: 'db' }, options: { type: 'tmpfs', device: 'tmpfs' } }),
  volume('plain', { createdAt: '2030-01-01T00:00:00.000Z' }),
];
const names = (specs: string[], inUse = new Set<string>()) => filterVolumes(all, parseVolumeFilters(specs), inUse).map((v) => v.name);

test('name is a regular expression, not a glob', (t) => {
  t.deepEqual(names(['name=^w']), ['web']);
  t.deepEqual(names(['name=d*']), ['web', 'db', 'plain'], 'd* matches the empty string, as Go regexp');
});

test('label, label!, opt: KEY or KEY=VALUE; several labels must all match', (t) => {
  t.deepEqual(names(['label=app']), ['web', 'db']);
  t.deepEqual(names(['label=app=db']), ['db']);
  t.deepEqual(names(['label=app', 'label=tier']), ['web']);
  t.deepEqual(names(['label!=app']), ['plain']);
  t.deepEqual(names(['opt=type=tmpfs']), ['db']);
  t.deepEqual(names(['opt=device']), ['db']);
});

test('dangling uses the volumes containers mount; until compares creation times', (t) => {
  t.deepEqual(names(['dangling=true'], new Set(['db'])), ['web', 'plain']);
  t.deepEqual(names(['dangling=0'], new Set(['db'])), ['db']);
  t.deepEqual(names(['until=2025-01-01T00:00:00Z']), ['web', 'db']);
});

test("podman's errors for an unknown key and a bad dangling value; prune's narrower set", (t) => {
  const bad = t.throws(() => parseVolumeFilters(['bogus=1']), { instanceOf: SkiffError });
  t.is(bad?.message, '"bogus" is an invalid volume filter');
  t.throws(() => parseVolumeFilters(['dangling=maybe']), { message: /not a valid value for the "dangling" filter/ });
  t.throws(() => parseVolumeFilters(['name=web'], true), { message: '"name" is an invalid volume filter' });
  t.deepEqual(parseVolumeFilters(['label=a', 'label!=b', 'until=1h'], true).map((f) => f.key), ['label', 'label!', 'until']);
});
