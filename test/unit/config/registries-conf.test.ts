import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  findRegistry,
  loadRegistriesConf,
  mergeRegistriesConf,
  parseRegistriesConf,
  pullEndpoints,
  RegistriesConfError,
} from '../../../src/config/registries-conf.js';
import { SkiffError } from '../../../src/util/errors.js';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-regconf-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}

test('an empty or comment-only file: nothing set', (t) => {
  t.deepEqual(parseRegistriesConf(''), { registries: [] });
  t.deepEqual(parseRegistriesConf('# unqualified-search-registries = ["example.com"]\n'), { registries: [] });
});

test('V2: search registries, registries with insecure, blocked and mirrors', (t) => {
  const conf = parseRegistriesConf(`
unqualified-search-registries = ["registry.example.com", "127.0.0.1:5000/"]

[[registry]]
location = "127.0.0.1:5000"
insecure = true

[[registry]]
prefix = "example.com/foo"
location = "internal.example.com/bar"
blocked = false
mirror-by-digest-only = true

[[registry.mirror]]
location = "mirror-1.example.com"

[[registry.mirror]]
location = "127.0.0.1:6000"
insecure = true
pull-from-mirror = "digest-only"

[[registry]]
location = "evil.example.com"
blocked = true

[aliases]
"bb" = "docker.io/library/busybox"
`);
  t.deepEqual(conf.unqualifiedSearchRegistries, ['registry.example.com', '127.0.0.1:5000']);
  t.is(conf.registries.length, 3);
  t.like(conf.registries[0], { prefix: '127.0.0.1:5000', location: '127.0.0.1:5000', insecure: true, blocked: false, mirrors: [] });
  t.like(conf.registries[1], { prefix: 'example.com/foo', location: 'internal.example.com/bar', mirrorByDigestOnly: true });
  t.deepEqual(conf.registries[1].mirrors, [
    { location: 'mirror-1.example.com', insecure: false, pullFromMirror: 'all' },
    { location: '127.0.0.1:6000', insecure: true, pullFromMirror: 'digest-only' },
  ]);
  t.like(conf.registries[2], { prefix: 'evil.example.com', blocked: true });
});

test('V1 tables are read', (t) => {
  const conf = parseRegistriesConf(`
[registries.search]
registries = ["a.example.com", "b.example.com"]
[registries.insecure]
registries = ["127.0.0.1:5000"]
[registries.block]
registries = ["bad.example.com"]
`);
  t.deepEqual(conf.unqualifiedSearchRegistries, ['a.example.com', 'b.example.com']);
  t.like(findRegistry(conf, '127.0.0.1:5000/x'), { insecure: true, blocked: false });
  t.like(findRegistry(conf, 'bad.example.com/x/y'), { blocked: true });
});

test('malformed TOML and bad values are RegistriesConfErrors naming the file', (t) => {
  const toml = t.throws(() => parseRegistriesConf('unqualified-search-registries = ["a",\n[[registry]\n', '/x/registries.conf'), { instanceOf: RegistriesConfError });
  t.regex(toml!.message, /"\/x\/registries\.conf": invalid TOML.*line/);
  t.true(toml instanceof SkiffError);
  t.throws(() => parseRegistriesConf('unqualified-search-registries = "a"', 'f.conf'), { message: /"f\.conf".*must be an array of strings/ });
  t.throws(() => parseRegistriesConf('[[registry]]\ninsecure = "yes"\nlocation = "a.b"', 'f.conf'), { message: /insecure.*true or false/ });
  t.throws(() => parseRegistriesConf('[[registry]]\ninsecure = true', 'f.conf'), { message: /needs a "location" or a "prefix"/ });
  t.throws(() => parseRegistriesConf('[[registry]]\nlocation = "https://a.b"', 'f.conf'), { message: /without a scheme/ });
  t.throws(() => parseRegistriesConf('[[registry]]\nlocation = "a.b"\n[[registry]]\nlocation = "a.b"', 'f.conf'), { message: /defined more than once/ });
  t.throws(() => parseRegistriesConf('[[registry]]\nlocation = "a.b"\n[[registry.mirror]]\ninsecure = true', 'f.conf'), { message: /mirror needs a "location"/ });
  t.throws(() => parseRegistriesConf('unqualified-search-registries = []\n[registries.search]\nregistries = []', 'f.conf'), { message: /mixing/ });
});

test('drop-ins replace the search list only when they set it, and registries by prefix', (t) => {
  const base = parseRegistriesConf('unqualified-search-registries = ["a.io"]\n[[registry]]\nlocation = "a.io"\n[[registry]]\nlocation = "b.io"\ninsecure = true');
  const merged = mergeRegistriesConf(base, parseRegistriesConf('[[registry]]\nlocation = "b.io"\nblocked = true'));
  t.deepEqual(merged.unqualifiedSearchRegistries, ['a.io']);
  t.like(findRegistry(merged, 'b.io/x'), { blocked: true, insecure: false });
  t.truthy(findRegistry(merged, 'a.io/x'));
  t.deepEqual(mergeRegistriesConf(merged, parseRegistriesConf('unqualified-search-registries = []')).unqualifiedSearchRegistries, []);
});

test('the longest prefix wins; prefixes match whole path components; wildcards match subdomains', (t) => {
  const conf = parseRegistriesConf(`
[[registry]]
location = "example.com"
[[registry]]
prefix = "example.com/team"
location = "team.example.com"
[[registry]]
prefix = "*.corp.example"
`);
  t.is(findRegistry(conf, 'example.com/team/app')?.prefix, 'example.com/team');
  t.is(findRegistry(conf, 'example.com/teamx/app')?.prefix, 'example.com');
  t.is(findRegistry(conf, 'example.com:5000/app'), undefined);
  t.is(findRegistry(conf, 'reg.corp.example/app')?.prefix, '*.corp.example');
  t.is(findRegistry(conf, 'other.io/app'), undefined);
  t.deepEqual(pullEndpoints(conf, 'example.com/team/app', false), [{ repository: 'team.example.com/app', insecure: false, mirror: false }]);
  t.deepEqual(pullEndpoints(conf, 'reg.corp.example/app', false), [{ repository: 'reg.corp.example/app', insecure: false, mirror: false }]);
  t.deepEqual(pullEndpoints(conf, 'other.io/app', false), [{ repository: 'other.io/app', insecure: false, mirror: false }]);
});

test('pull endpoints: mirrors in order, then the registry; digest-only rules; blocked throws', (t) => {
  const conf = parseRegistriesConf(`
[[registry]]
location = "main.io"
insecure = true
[[registry.mirror]]
location = "m1.io/cache"
[[registry.mirror]]
location = "m2.io"
insecure = true
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "m3.io"
pull-from-mirror = "tag-only"

[[registry]]
location = "digests.io"
mirror-by-digest-only = true
[[registry.mirror]]
location = "dm.io"

[[registry]]
location = "blocked.io"
blocked = true
`);
  t.deepEqual(pullEndpoints(conf, 'main.io/lib/app', false), [
    { repository: 'm1.io/cache/lib/app', insecure: false, mirror: true },
    { repository: 'm3.io/lib/app', insecure: false, mirror: true },
    { repository: 'main.io/lib/app', insecure: true, mirror: false },
  ]);
  t.deepEqual(pullEndpoints(conf, 'main.io/app', true).map((e) => e.repository), ['m1.io/cache/app', 'm2.io/app', 'main.io/app']);
  t.deepEqual(pullEndpoints(conf, 'digests.io/app', false).map((e) => e.repository), ['digests.io/app']);
  t.deepEqual(pullEndpoints(conf, 'digests.io/app', true).map((e) => e.repository), ['dm.io/app', 'digests.io/app']);
  const blocked = t.throws(() => pullEndpoints(conf, 'blocked.io/app', false));
  t.is(blocked!.message, 'registry blocked.io is blocked in registries.conf');
});

test('loadRegistriesConf: CONTAINERS_REGISTRIES_CONF alone, else the user file and its drop-ins', (t) => {
  const home = tree({
    'explicit.conf': 'unqualified-search-registries = ["explicit.io"]',
    '.config/containers/registries.conf': 'unqualified-search-registries = ["user.io"]\n[[registry]]\nlocation = "x.io"',
    '.config/containers/registries.conf.d/10-a.conf': '[[registry]]\nlocation = "x.io"\ninsecure = true',
    '.config/containers/registries.conf.d/20-b.conf': 'unqualified-search-registries = ["b.io", "user.io"]',
    '.config/containers/registries.conf.d/30-c.conf': '[[registry]]\nlocation = "x.io"\nblocked = true',
    '.config/containers/registries.conf.d/ignored.txt': 'not toml [',
  });
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const explicit = loadRegistriesConf({ CONTAINERS_REGISTRIES_CONF: path.join(home, 'explicit.conf') }, home);
  t.deepEqual(explicit.unqualifiedSearchRegistries, ['explicit.io']);
  t.deepEqual(explicit.registries, []);
  t.deepEqual(explicit.files, [path.join(home, 'explicit.conf')]);

  const user = loadRegistriesConf({}, home);
  t.is(user.mainFile, path.join(home, '.config/containers/registries.conf'));
  t.deepEqual(user.unqualifiedSearchRegistries, ['b.io', 'user.io']);
  t.like(findRegistry(user, 'x.io/a'), { blocked: true, insecure: false });
  t.is(user.files.length, 4);

  const missing = loadRegistriesConf({ CONTAINERS_REGISTRIES_CONF: path.join(home, 'nope.conf') }, home);
  t.deepEqual(missing, { unqualifiedSearchRegistries: [], registries: [], mainFile: path.join(home, 'nope.conf'), files: [] });
});

test('loadRegistriesConf: a malformed file is an error naming it', (t) => {
  const home = tree({ 'bad.conf': 'unqualified-search-registries = [' });
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const file = path.join(home, 'bad.conf');
  t.throws(() => loadRegistriesConf({ CONTAINERS_REGISTRIES_CONF: file }, home), { instanceOf: RegistriesConfError, message: new RegExp(file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')) });
});
