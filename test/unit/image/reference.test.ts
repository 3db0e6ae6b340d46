// Image references against the grammar of github.com/distribution/reference
// (reference_test.go's cases), split as podman splits them: the first part
// is a registry only when it has a dot or a port, or is localhost
// (normalize.go's splitDockerDomain); docker.io's one-part names get
// library/ when the registry is qualified.
import test from 'ava';
import { normalizeReference, shortNameCandidates } from '../../../src/engine/image/pull.js';
import { formatReference, localImageName, parseReference, type ImageReference } from '../../../src/image/reference.js';

const F64 = 'f'.repeat(64);
const DIGEST = `sha256:${F64}`;

const parses = test.macro({
  exec(t, input: string, expected: ImageReference) {
    const got = parseReference(input);
    t.deepEqual({ domain: got.domain, path: got.path, tag: got.tag, digest: got.digest }, {
      domain: expected.domain,
      path: expected.path,
      tag: expected.tag,
      digest: expected.digest,
    });
  },
  title: (provided, input: string) => provided ?? `parses ${input.length > 60 ? `${input.slice(0, 40)}… (${input.length} chars)` : input}`,
});

test(parses, 'test_com', { path: 'test_com' });
test('a dot without a slash is a repository, and what follows the colon a tag', parses, 'test.com:tag', { path: 'test.com', tag: 'tag' });
test('digits after the only colon are a tag, not a port', parses, 'test.com:5000', { path: 'test.com', tag: '5000' });
test(parses, 'test.com/repo:tag', { domain: 'test.com', path: 'repo', tag: 'tag' });
test('a port makes the first part a registry', parses, 'test:5000/repo', { domain: 'test:5000', path: 'repo' });
test(parses, 'test:5000/repo:tag', { domain: 'test:5000', path: 'repo', tag: 'tag' });
test(parses, `test:5000/repo@${DIGEST}`, { domain: 'test:5000', path: 'repo', digest: DIGEST });
test(parses, `test:5000/repo:tag@${DIGEST}`, { domain: 'test:5000', path: 'repo', tag: 'tag', digest: DIGEST });
test('tags may hold upper case', parses, 'lowercase:Uppercase', { path: 'lowercase', tag: 'Uppercase' });
test('a name of exactly 255 characters is accepted', parses, `${'a/'.repeat(127)}a:tag-puts-this-over-max`, {
  path: `${'a/'.repeat(127)}a`,
  tag: 'tag-puts-this-over-max',
});
test('255 characters with the registry', parses, `quay.io/${'a/'.repeat(123)}a`, { domain: 'quay.io', path: `${'a/'.repeat(123)}a` });
test(parses, 'sub-dom1.foo.com/bar/baz/quux:some-long-tag', { domain: 'sub-dom1.foo.com', path: 'bar/baz/quux', tag: 'some-long-tag' });
test(parses, 'b.gcr.io/test.example.com/my-app:test.example.com', { domain: 'b.gcr.io', path: 'test.example.com/my-app', tag: 'test.example.com' });
test('punycode registry', parses, 'xn--n3h.com/myimage:xn--n3h.com', { domain: 'xn--n3h.com', path: 'myimage', tag: 'xn--n3h.com' });
test(parses, 'foo_bar.com:8080', { path: 'foo_bar.com', tag: '8080' });
test('a first part without dot, port or localhost is a path component', parses, 'foo/foo_bar.com:8080', { path: 'foo/foo_bar.com', tag: '8080' });
test(parses, 'docker/docker', { path: 'docker/docker' });
test(parses, '192.168.1.1', { path: '192.168.1.1' });
test(parses, '192.168.1.1:5000/repo:5050', { domain: '192.168.1.1:5000', path: 'repo', tag: '5050' });
test('IPv6 registry', parses, '[2001:db8::1]/repo', { domain: '[2001:db8::1]', path: 'repo' });
test('IPv6 registry with port and tag', parses, '[2001:db8::1]:5000/repo:tag', { domain: '[2001:db8::1]:5000', path: 'repo', tag: 'tag' });
test(parses, '[::1]:5000/repo', { domain: '[::1]:5000', path: 'repo' });
test('localhost is a registry', parses, 'localhost/foo', { domain: 'localhost', path: 'foo' });
test('localhost with a port', parses, 'localhost:5000/foo/bar:v1', { domain: 'localhost:5000', path: 'foo/bar', tag: 'v1' });
test('separators . _ __ and runs of - inside components', parses, 'quay.io/a.b_c__d--e/f', { domain: 'quay.io', path: 'a.b_c__d--e/f' });

const rejects = test.macro({
  exec(t, input: string) {
    t.throws(() => parseReference(input), { message: /invalid reference format/ });
  },
  title: (provided, input: string) => provided ?? `rejects ${JSON.stringify(input.length > 60 ? `${input.slice(0, 40)}…` : input)}`,
});

test('empty', rejects, '');
test(rejects, ':justtag');
test(rejects, `@${DIGEST}`);
test('a digest too short', rejects, 'repo@sha256:ffffffffffffffffffffffffffffffffff');
test('an unknown digest algorithm', rejects, `validname@invaliddigest:${F64}`);
test('upper case in the repository', rejects, 'Uppercase:tag');
test('upper case after a registry', rejects, 'test:5000/Uppercase/lowercase:tag');
test('a name over 255 characters (ErrNameTooLong)', rejects, `${'a/'.repeat(128)}a:tag`);
test('the registry counts towards the 255 characters', rejects, `quay.io/${'a/'.repeat(124)}a`);
test(rejects, 'aa/asdf$$^/aa');
test('a bare IPv6 address', rejects, '[2001:db8::1]');
test('a bare IPv6 address and port', rejects, '[2001:db8::1]:5000');
test(rejects, '[2001:db8::1]:tag');
test('an IPv6 zone', rejects, '[fe80::1%eth0]:5000/repo');
test('a tag over 128 characters', rejects, `repo:${'t'.repeat(129)}`);
test('a tag starting with a dot', rejects, 'repo:.tag');
test('an empty component', rejects, 'quay.io/a//b');
test('a trailing separator', rejects, 'quay.io/a-');

test('formatReference adds :latest only when there is neither tag nor digest', (t) => {
  t.is(formatReference(parseReference('quay.io/a/b')), 'quay.io/a/b:latest');
  t.is(formatReference(parseReference('quay.io/a/b:v1')), 'quay.io/a/b:v1');
  t.is(formatReference(parseReference(`quay.io/a/b@${DIGEST}`)), `quay.io/a/b@${DIGEST}`);
  t.is(formatReference(parseReference(`quay.io/a/b:v1@${DIGEST}`)), `quay.io/a/b:v1@${DIGEST}`);
});

test('locally created images with a short name go under localhost/, as podman names them', (t) => {
  t.is(localImageName('myimg'), 'localhost/myimg:latest');
  t.is(localImageName('team/myimg:v2'), 'localhost/team/myimg:v2');
  t.is(localImageName('quay.io/team/myimg'), 'quay.io/team/myimg:latest');
});

// --- normalisation for a registry (engine/image-pull.ts) ---

const qualified = (ref: ImageReference) => formatReference(ref);

test('docker.io: a one-part path gets library/, a two-part path is kept', (t) => {
  t.is(qualified(normalizeReference('docker.io/debian')), 'docker.io/library/debian:latest');
  t.is(qualified(normalizeReference('docker.io/library/debian:12')), 'docker.io/library/debian:12');
  t.is(qualified(normalizeReference('docker.io/docker/docker')), 'docker.io/docker/docker:latest');
  t.is(qualified(normalizeReference(`docker.io/debian@${DIGEST}`)), `docker.io/library/debian@${DIGEST}`);
});

test('other registries never get library/', (t) => {
  t.is(qualified(normalizeReference('quay.io/debian')), 'quay.io/debian:latest');
  t.is(qualified(normalizeReference('localhost/foo')), 'localhost/foo:latest');
  t.is(qualified(normalizeReference('localhost:5000/foo:v1')), 'localhost:5000/foo:v1');
});

const conf = (registries: string[]) => ({ unqualifiedSearchRegistries: registries, mainFile: '/etc/containers/registries.conf' });

test('a short name expands over the unqualified-search registries, in order', (t) => {
  t.deepEqual(shortNameCandidates('debian:12', conf(['docker.io', 'quay.io'])).map(qualified), [
    'docker.io/library/debian:12',
    'quay.io/debian:12',
  ]);
  t.deepEqual(shortNameCandidates('team/app', conf(['docker.io'])).map(qualified), ['docker.io/team/app:latest']);
});

test('a qualified name is its own only candidate', (t) => {
  t.deepEqual(shortNameCandidates('quay.io/team/app', conf(['docker.io'])).map(qualified), ['quay.io/team/app:latest']);
});

test('a short name without unqualified-search registries is refused as podman refuses it', (t) => {
  t.throws(() => shortNameCandidates('busybox', conf([])), {
    message: 'short-name "busybox" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"',
  });
});
