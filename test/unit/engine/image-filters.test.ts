import test from 'ava';
import type { ImageSummary } from '../../../src/engine/image/images.js';
import { filterImages, globToRegExp, parseImageFilters, referenceMatches, sortImageRows } from '../../../src/engine/image/filters.js';
import { SkiffError } from '../../../src/util/errors.js';

function image(id: string, names: string[], created: string, size: number, labels?: Record<string, string>): ImageSummary {
  return {
    record: { id: id.repeat(64).slice(0, 64), names, manifestDigest: `sha256:${'f'.repeat(64)}`, configDigest: `sha256:${id.repeat(64).slice(0, 64)}`, layers: [], size, created },
    config: { created, architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: labels ? { Labels: labels } : {} },
  } as ImageSummary;
}

const bb = image('a', ['localhost/bb:latest', 'localhost/bb:1.36'], '2024-01-01T00:00:00Z', 300, { maintainer: 'me', tier: 'base' });
const alpine = image('b', ['docker.io/library/alpine:3.19'], '2024-02-01T00:00:00Z', 100, { maintainer: 'alpine' });
const app = image('c', ['127.0.0.1:5000/team/app:v2'], '2024-03-01T00:00:00Z', 200);
const dangling = image('d', [], '2024-04-01T00:00:00Z', 50);
const all = [bb, alpine, app, dangling];
const ids = (images: ImageSummary[]) => images.map((i) => i.record.id[0]).join('');
const run = (...specs: string[]) => ids(filterImages(all, parseImageFilters(specs)));

test('parseImageFilters: unknown keys, missing values and bad dangling values are errors', (t) => {
  t.deepEqual(parseImageFilters(['label=a=b', 'dangling=true']), [{ key: 'label', value: 'a=b' }, { key: 'dangling', value: 'true' }]);
  const unknown = t.throws(() => parseImageFilters(['x=1']), { instanceOf: SkiffError });
  t.is(unknown!.message, 'invalid image filter "x"');
  t.throws(() => parseImageFilters(['bogus']), { message: 'invalid image filter "bogus"' });
  t.throws(() => parseImageFilters(['reference']), { message: /expected reference=VALUE/ });
  t.throws(() => parseImageFilters(['dangling=maybe']), { message: /true or false/ });
});

test('no filters: everything', (t) => {
  t.is(run(), 'abcd');
});

test('dangling', (t) => {
  t.is(run('dangling=true'), 'd');
  t.is(run('dangling=false'), 'abc');
});

test('reference: exact names, short names, globs on repo and repo:tag; several are ORed', (t) => {
  t.is(run('reference=localhost/bb:latest'), 'a');
  t.is(run('reference=bb'), 'a');
  t.is(run('reference=localhost/bb'), 'a');
  t.is(run('reference=localhost/*'), 'a');
  t.is(run('reference=*/bb:1.*'), 'a');
  t.is(run('reference=bb:*'), 'a');
  t.is(run('reference=alpine'), 'b');
  t.is(run('reference=alp*'), 'b');
  t.is(run('reference=docker.io/library/alpine:3.1?'), 'b');
  t.is(run('reference=127.0.0.1:5000/team/*'), 'c');
  t.is(run('reference=team/app:v[0-9]'), 'c');
  t.is(run('reference=*'), 'ab', '* does not cross a /: only one-component paths');
  t.is(run('reference=nothing*'), '');
  t.is(run('reference=bb', 'reference=alpine'), 'ab');
});

test('label: key or key=value; several are ANDed', (t) => {
  t.is(run('label=maintainer'), 'ab');
  t.is(run('label=maintainer=me'), 'a');
  t.is(run('label=maintainer', 'label=tier=base'), 'a');
  t.is(run('label=tier=other'), '');
});

test('before and since compare creation times; an unknown image is an error', (t) => {
  t.is(run('before=127.0.0.1:5000/team/app:v2'), 'ab');
  t.is(run('since=alpine:3.19'), 'cd');
  t.is(run('since=bb', 'before=app:v2'), 'b');
  t.is(run(`since=${'a'.repeat(12)}`), 'bcd');
  t.throws(() => run('before=nope'), { message: /nope: image not known/ });
});

test('different keys are ANDed', (t) => {
  t.is(run('dangling=false', 'since=bb', 'label=maintainer'), 'b');
});

test('globToRegExp follows path.Match', (t) => {
  t.true(globToRegExp('a*c').test('abbc'));
  t.false(globToRegExp('a*c').test('ab/c'));
  t.true(globToRegExp('a?c').test('abc'));
  t.true(globToRegExp('[a-c]x').test('bx'));
  t.false(globToRegExp('[^a-c]x').test('bx'));
  t.true(globToRegExp('a\\*').test('a*'));
  t.false(globToRegExp('a\\*').test('ab'));
  t.true(globToRegExp('a.b').test('a.b'));
  t.false(globToRegExp('a.b').test('axb'));
  t.true(globToRegExp('[ab').test('[ab'));
});

test('referenceMatches ignores dangling images', (t) => {
  t.false(referenceMatches(dangling, '*'));
});

test('sortImageRows: created newest first by default; id, repository, tag, size ascending', (t) => {
  const rows = all.flatMap((image) => (image.record.names.length ? image.record.names : [undefined]).map((name) => ({ image, name })));
  const names = (r: typeof rows) => r.map((x) => x.name ?? '<none>');
  t.deepEqual(names(sortImageRows(rows)), ['<none>', '127.0.0.1:5000/team/app:v2', 'docker.io/library/alpine:3.19', 'localhost/bb:latest', 'localhost/bb:1.36']);
  t.deepEqual(names(sortImageRows(rows, 'repository')), ['127.0.0.1:5000/team/app:v2', '<none>', 'docker.io/library/alpine:3.19', 'localhost/bb:latest', 'localhost/bb:1.36']);
  t.deepEqual(names(sortImageRows(rows, 'tag')), ['localhost/bb:1.36', 'docker.io/library/alpine:3.19', '<none>', 'localhost/bb:latest', '127.0.0.1:5000/team/app:v2']);
  t.deepEqual(names(sortImageRows(rows, 'size')), ['<none>', 'docker.io/library/alpine:3.19', '127.0.0.1:5000/team/app:v2', 'localhost/bb:latest', 'localhost/bb:1.36']);
  t.deepEqual(sortImageRows(rows, 'id').map((r) => r.image.record.id[0]), ['a', 'a', 'b', 'c', 'd']);
});
