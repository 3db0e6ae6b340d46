import test from 'ava';
import type { ExecutionContext } from 'ava';
import { promises as fsp, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { extractLayer, type ExtractReport } from '../../../../src/image/layer/extract.js';
import { LayerEscapeError, cleanEntryName } from '../../../../src/image/layer/secure-path.js';

// Every case extracts into <parent>/root and checks that <parent> (minus
// root) is byte-for-byte and stat-for-stat unchanged: an `outside` directory
// and an `outside-file` sentinel sit next to the root as bait. chown: false
// and whiteouts: 'none' keep the tests runnable as an unprivileged user.

const SENTINEL = 'sentinel: must never change\n';
const OPTIONS = { chown: false, whiteouts: 'none' } as const;
const T0 = new Date('2001-02-03T04:05:06Z');

interface Spec {
  name: string;
  type?: tar.Header['type'];
  content?: string | Buffer;
  mode?: number;
  linkname?: string;
  mtime?: Date;
  devmajor?: number;
  devminor?: number;
  /** Extra pax records (tar-stream writes a pax header when present). */
  pax?: Record<string, string>;
}

interface Sandbox {
  parent: string;
  root: string;
  outsideDir: string;
  outsideFile: string;
}

/** `${P}` in a name or linkname is replaced by the sandbox's parent path, for absolute targets. */
type Entries = Spec[] | ((box: Sandbox) => Spec[]);

async function buildTar(specs: Spec[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const s of specs) {
    const type = s.type ?? 'file';
    const body = s.content === undefined ? undefined : Buffer.from(s.content);
    const header = {
      name: s.name,
      type,
      mode: s.mode ?? (type === 'directory' ? 0o755 : 0o644),
      mtime: s.mtime ?? T0,
      linkname: s.linkname,
      devmajor: s.devmajor,
      devminor: s.devminor,
      size: body?.length ?? 0,
      ...(s.pax ? { pax: s.pax } : {}),
    } as tar.Header;
    await new Promise<void>((resolve, reject) => {
      pack.entry(header, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function makeSandbox(): Promise<Sandbox> {
  const parent = await fsp.mkdtemp(join(tmpdir(), 'skiff-extract-'));
  const outsideDir = join(parent, 'outside');
  const outsideFile = join(parent, 'outside-file');
  const root = join(parent, 'root');
  await fsp.mkdir(outsideDir, { mode: 0o755 });
  await fsp.mkdir(join(outsideDir, 'b'), { mode: 0o755 });
  await fsp.writeFile(outsideFile, SENTINEL, { mode: 0o644 });
  await fsp.utimes(outsideFile, T0, T0);
  await fsp.utimes(join(outsideDir, 'b'), T0, T0);
  await fsp.utimes(outsideDir, T0, T0);
  await fsp.mkdir(root, { mode: 0o755 });
  return { parent, root, outsideDir, outsideFile };
}

/** Every path under `dir` (not following symlinks, skipping `skip`) with the stat fields an escape would change. */
async function snapshot(dir: string, skip: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const describe = (st: Stats) => `mode=${st.mode.toString(8)} nlink=${st.nlink} size=${st.size} mtime=${st.mtimeMs} ino=${st.ino}`;
  out['.'] = describe(await fsp.lstat(dir));
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const name of (await fsp.readdir(d)).sort()) {
      const p = join(d, name);
      if (p === skip) continue;
      const st = await fsp.lstat(p);
      let extra = '';
      if (st.isFile()) extra = ` content=${JSON.stringify(await fsp.readFile(p, 'utf8'))}`;
      if (st.isSymbolicLink()) extra = ` -> ${await fsp.readlink(p)}`;
      out[posix.join(rel, name)] = describe(st) + extra;
      if (st.isDirectory()) await walk(p, posix.join(rel, name));
    }
  };
  await walk(dir, '');
  return out;
}

/** Removes the sandbox even when extraction left read-only directories behind. */
async function removeSandbox(parent: string): Promise<void> {
  const unlock = async (d: string): Promise<void> => {
    await fsp.chmod(d, 0o700).catch(() => undefined);
    for (const ent of await fsp.readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (ent.isDirectory()) await unlock(join(d, ent.name));
    }
  };
  await unlock(parent);
  await fsp.rm(parent, { recursive: true, force: true });
}

function feed(buf: Buffer, step = 700): Readable {
  // One chunk per 700 bytes by default, so entries straddle chunk boundaries.
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += step) chunks.push(buf.subarray(i, i + step));
  return Readable.from(chunks);
}

/**
 * Builds the tar, extracts it, then checks nothing outside the root changed
 * and the real filesystem root was not touched; returns the outcome.
 */
async function run(
  t: ExecutionContext,
  entries: Entries,
  check: (box: Sandbox, result: { report?: ExtractReport; error?: unknown }) => Promise<void>,
  absoluteProbes: string[] = [],
): Promise<void> {
  t.timeout(20_000);
  const box = await makeSandbox();
  try {
    const specs = (typeof entries === 'function' ? entries(box) : entries).map((s) => ({
      ...s,
      name: s.name.replaceAll('${P}', box.parent),
      linkname: s.linkname?.replaceAll('${P}', box.parent),
    }));
    const before = await snapshot(box.parent, box.root);
    const probesBefore = await Promise.all(absoluteProbes.map((p) => fsp.lstat(p).then(() => true, () => false)));
    const buf = await buildTar(specs);
    let report: ExtractReport | undefined;
    let error: unknown;
    try {
      report = await extractLayer(feed(buf), box.root, OPTIONS);
    } catch (err) {
      error = err;
    }
    t.deepEqual(await snapshot(box.parent, box.root), before, 'nothing outside the extraction root may change');
    const probesAfter = await Promise.all(absoluteProbes.map((p) => fsp.lstat(p).then(() => true, () => false)));
    t.deepEqual(probesAfter, probesBefore, 'nothing may appear on the host filesystem');
    await check(box, { report, error });
  } finally {
    await removeSandbox(box.parent);
  }
}

async function kind(path: string): Promise<string> {
  const st = await fsp.lstat(path).catch(() => undefined);
  if (!st) return 'missing';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  return 'other';
}

// ---------------------------------------------------------------- macros

const rejected = test.macro({
  async exec(t, entries: Entries, message: RegExp, mustBeMissing: string[] = []) {
    await run(t, entries, async (box, { error }) => {
      t.true(error instanceof LayerEscapeError, `expected LayerEscapeError, got ${String(error)}`);
      t.is((error as LayerEscapeError).code, 'ELAYERESCAPE');
      t.regex((error as Error).message, message);
      for (const rel of mustBeMissing) t.is(await kind(join(box.root, rel)), 'missing', `${rel} must not be created`);
    });
  },
  title: (provided) => `rejects ${provided ?? ''}`,
});

const confined = test.macro({
  async exec(t, entries: Entries, expect: Record<string, string>, absoluteProbes: string[] = []) {
    await run(
      t,
      entries,
      async (box, { error }) => {
        t.is(error, undefined, `extraction failed: ${String(error)}`);
        for (const [rel, want] of Object.entries(expect)) {
          const p = join(box.root, rel.replaceAll('${P}', box.parent));
          const [k, content] = want.split(':', 2) as [string, string | undefined];
          t.is(await kind(p), k, `${rel}`);
          if (k === 'file' && content !== undefined) t.is(await fsp.readFile(p, 'utf8'), content, `${rel} content`);
          if (k === 'symlink' && content !== undefined) t.is(await fsp.readlink(p), content.replaceAll('${P}', box.parent), `${rel} target`);
        }
      },
      absoluteProbes,
    );
  },
  title: (provided) => `confines ${provided ?? ''}`,
});

// A unique name under the real /etc, in case a symlink to `/` were followed.
const HOST_PROBE = `skiff-extract-probe-${process.pid}-${Date.now()}`;

// ---------------------------------------------------------------- `..` names

test('"../evil"', rejected, [{ name: '../evil', content: 'x' }], /refusing layer entry "\.\.\/evil": the path leaves the layer directory/);
test('"a/../../evil"', rejected, [{ name: 'a/../../evil', content: 'x' }], /"a\/\.\.\/\.\.\/evil": the path leaves/);
test('"../outside-file" after a good entry (stops mid-stream)', rejected,
  [{ name: 'ok', content: 'ok' }, { name: '../outside-file', content: 'pwned' }], /leaves the layer directory/);
test('"./../outside/b/x"', rejected, [{ name: './../outside/b/x', content: 'x' }], /leaves the layer directory/);
test('a ".." name hidden in a pax path record', rejected,
  [{ name: 'innocent', content: 'x', pax: { path: '../outside/pwned' } }], /"\.\.\/outside\/pwned"/, ['innocent']);
test('"..." style names are not "..": kept', confined, [{ name: '.../x', content: 'dots' }, { name: 'a/..b', content: 'd2' }],
  { '.../x': 'file:dots', 'a/..b': 'file:d2' });

test('cleanEntryName table', (t) => {
  const ok: Array<[string, string]> = [
    ['/etc/x', 'etc/x'],
    ['//etc//x/', 'etc/x'],
    ['./a/./b', 'a/b'],
    ['a/b/../c', 'a/c'],
    ['/', ''],
    ['./', ''],
    ['/..x', '..x'],
  ];
  for (const [input, want] of ok) t.is(cleanEntryName(input), want, input);
  for (const bad of ['..', '../', '/../x', 'a/../../x', './..', '../../..']) {
    t.throws(() => cleanEntryName(bad), { instanceOf: LayerEscapeError }, bad);
  }
});

// ---------------------------------------------------------------- absolute names

test('absolute "/etc/x" into root/etc/x', confined, [{ name: `/etc/${HOST_PROBE}`, content: 'abs' }],
  { [`etc/${HOST_PROBE}`]: 'file:abs' }, [`/etc/${HOST_PROBE}`]);
test('absolute name naming the real parent dir', confined, [{ name: '${P}/outside/b/pwned', content: 'abs' }],
  { '${P}/outside/b/pwned': 'file:abs' });

// ---------------------------------------------------------------- symlink parents

test('relative symlink escape "link -> ../../outside" then "link/pwned"', confined,
  [{ name: 'link', type: 'symlink', linkname: '../../outside' }, { name: 'link/pwned', content: 'p' }],
  { link: 'symlink:../../outside', 'outside/pwned': 'file:p' });
test('absolute symlink escape "link -> <parent>/outside" then "link/pwned"', confined,
  [{ name: 'link', type: 'symlink', linkname: '${P}/outside' }, { name: 'link/b/pwned', content: 'p' }],
  { link: 'symlink:${P}/outside', '${P}/outside/b/pwned': 'file:p' });
test('"link -> /" then "link/etc/<probe>"', confined,
  [{ name: 'link', type: 'symlink', linkname: '/' }, { name: `link/etc/${HOST_PROBE}`, content: 'p' }],
  { link: 'symlink:/', [`etc/${HOST_PROBE}`]: 'file:p' }, [`/etc/${HOST_PROBE}`]);
test('"link -> /" then "link/<parent>/outside/b/pwned"', confined,
  [{ name: 'link', type: 'symlink', linkname: '/' }, { name: 'link${P}/outside/b/pwned', content: 'p' }],
  { '${P}/outside/b/pwned': 'file:p' });
test('chained symlinks "a -> b", "b -> ../../.." then "a/outside/pwned"', confined,
  [
    { name: 'a', type: 'symlink', linkname: 'b' },
    { name: 'b', type: 'symlink', linkname: '../../..' },
    { name: 'a/outside/pwned', content: 'p' },
  ],
  { 'outside/pwned': 'file:p' });
test('symlink in a nested dir "d/e/up -> ../../../.." then "d/e/up/outside-file"', confined,
  [
    { name: 'd/e/up', type: 'symlink', linkname: '../../../..' },
    { name: 'd/e/up/outside-file', content: 'p' },
  ],
  { 'outside-file': 'file:p' });
test('dir entry through an escaping symlink "link/newdir/"', confined,
  [
    { name: 'link', type: 'symlink', linkname: '${P}/outside' },
    { name: 'link/newdir/', type: 'directory', mode: 0o777 },
  ],
  { '${P}/outside/newdir': 'dir' });

test('a symlink loop fails cleanly', rejected,
  [
    { name: 'x', type: 'symlink', linkname: 'y' },
    { name: 'y', type: 'symlink', linkname: 'x' },
    { name: 'x/f', content: 'p' },
  ],
  /too many levels of symbolic links/);

// ---------------------------------------------------------------- symlink as the last component

test('"evil -> <parent>/outside-file" replaced by a regular file "evil"', confined,
  [{ name: 'evil', type: 'symlink', linkname: '${P}/outside-file' }, { name: 'evil', content: 'replaced' }],
  { evil: 'file:replaced' });
test('"evil -> ../outside-file" replaced by a regular file "evil"', confined,
  [{ name: 'evil', type: 'symlink', linkname: '../outside-file' }, { name: 'evil', content: 'replaced' }],
  { evil: 'file:replaced' });
test('"evil -> <parent>/outside" replaced by a directory "evil/" with children', confined,
  [
    { name: 'evil', type: 'symlink', linkname: '${P}/outside' },
    { name: 'evil/', type: 'directory', mode: 0o777 },
    { name: 'evil/b/child', content: 'c' },
  ],
  { evil: 'dir', 'evil/b/child': 'file:c' });
test('"evil -> <parent>/outside-file" replaced by a symlink', confined,
  [
    { name: 'evil', type: 'symlink', linkname: '${P}/outside-file' },
    { name: 'evil', type: 'symlink', linkname: 'elsewhere' },
  ],
  { evil: 'symlink:elsewhere' });
test('a directory later replaced by an escaping symlink (deferred chmod/utimes must not follow it)', confined,
  [
    { name: 'd/', type: 'directory', mode: 0o777, mtime: new Date('2010-01-01T00:00:00Z') },
    { name: 'd', type: 'symlink', linkname: '${P}/outside' },
  ],
  { d: 'symlink:${P}/outside' });
test('a directory whose parent is later replaced by an escaping symlink', confined,
  [
    { name: 'a/', type: 'directory' },
    { name: 'a/b/', type: 'directory', mode: 0o777, mtime: new Date('2010-01-01T00:00:00Z') },
    { name: 'a', type: 'symlink', linkname: '${P}/outside' },
  ],
  { a: 'symlink:${P}/outside' });

// ---------------------------------------------------------------- hardlinks

test('hardlink "../../outside-file"', rejected,
  [{ name: 'hl', type: 'link', linkname: '../../outside-file' }], /"\.\.\/\.\.\/outside-file": the path leaves/, ['hl']);
test('hardlink to an absolute host path (cleaned to a missing in-root path)', rejected,
  [{ name: 'hl', type: 'link', linkname: '${P}/outside-file' }], /does not exist in the layer/, ['hl']);
test('hardlink through an escaping symlink to a missing in-root file', rejected,
  [
    { name: 's', type: 'symlink', linkname: '${P}' },
    { name: 'hl', type: 'link', linkname: 's/outside-file' },
  ],
  /does not exist in the layer/, ['hl']);
test('hardlink through a relative escaping symlink "s -> ../.."', rejected,
  [
    { name: 's', type: 'symlink', linkname: '../..' },
    { name: 'hl', type: 'link', linkname: 's/outside-file' },
  ],
  /does not exist in the layer/, ['hl']);
test('hardlink through an escaping symlink "s -> ../.." resolves inside root', confined,
  [
    { name: 'outside-file', content: 'inner' },
    { name: 's', type: 'symlink', linkname: '../..' },
    { name: 'hl', type: 'link', linkname: 's/outside-file' },
  ],
  { hl: 'file:inner', 'outside-file': 'file:inner' });
test('hardlink to a symlink that escapes links the symlink itself', confined,
  [
    { name: 's', type: 'symlink', linkname: '${P}/outside-file' },
    { name: 'hl', type: 'link', linkname: 's' },
  ],
  { hl: 'symlink:${P}/outside-file', s: 'symlink:${P}/outside-file' });
test('hardlink to a directory', rejected,
  [{ name: 'd/', type: 'directory' }, { name: 'hl', type: 'link', linkname: 'd' }], /may not point at a directory/, ['hl']);
test('hardlink to the root', rejected,
  [{ name: 'hl', type: 'link', linkname: './' }], /may not point at a directory/, ['hl']);
test('hardlink to a missing target', rejected,
  [{ name: 'hl', type: 'link', linkname: 'nope' }], /"nope" does not exist in the layer/, ['hl']);

// ---------------------------------------------------------------- a normal tree

const M_DIR = new Date('2011-11-11T11:11:11Z');
const M_BIN = new Date('2012-12-12T12:12:12Z');
const M_RO = new Date('2013-03-13T13:13:13Z');
const M_FILE = new Date('2014-04-14T14:14:14Z');

test('a normal tree: modes, links, mtimes and a read-only directory', async (t) => {
  await run(
    t,
    [
      { name: './', type: 'directory', mode: 0o755 },
      { name: 'usr/', type: 'directory', mode: 0o755, mtime: M_DIR },
      { name: 'usr/bin/', type: 'directory', mode: 0o755, mtime: M_BIN },
      { name: 'usr/bin/tool', content: '#!/bin/sh\n', mode: 0o755, mtime: M_FILE },
      { name: 'usr/bin/suid', content: 'suid', mode: 0o4755 },
      { name: 'usr/bin/alias', type: 'symlink', linkname: 'tool' },
      { name: 'usr/bin/tool2', type: 'link', linkname: 'usr/bin/tool' },
      { name: 'abs', type: 'symlink', linkname: '/usr/bin/tool' },
      { name: 'etc/conf', content: 'k=v\n', mode: 0o640 },
      { name: 'ro/', type: 'directory', mode: 0o555, mtime: M_RO },
      { name: 'empty', content: '' },
      { name: 'ro/late', content: 'late', mode: 0o444 },
      { name: 'ro/sub/', type: 'directory', mode: 0o700 },
      { name: 'ro/sub/deep', content: 'deep' },
      { name: 'usr/bin/later', content: 'l' },
      { name: 'replaced', content: 'first' },
      { name: 'replaced', content: 'second' },
    ],
    async (box, { report, error }) => {
      t.is(error, undefined, String(error));
      t.is(report?.entries, 17);
      t.deepEqual(report?.skippedDevices, []);
      const p = (rel: string) => join(box.root, rel);
      const mode = async (rel: string) => (await fsp.lstat(p(rel))).mode & 0o7777;
      const mtime = async (rel: string) => (await fsp.lstat(p(rel))).mtime.getTime();

      t.is(await mode('.'), 0o755);
      t.is(await mode('usr'), 0o755);
      t.is(await mode('usr/bin/tool'), 0o755);
      t.is(await mode('usr/bin/suid'), 0o4755, 'setuid is kept (chmod runs last)');
      t.is(await mode('etc/conf'), 0o640);
      t.is(await mode('etc'), 0o755, 'implicit parents are 0755');
      t.is(await mode('ro'), 0o555);
      t.is(await mode('ro/late'), 0o444);
      t.is(await mode('ro/sub'), 0o700);
      t.is(await fsp.readFile(p('usr/bin/tool'), 'utf8'), '#!/bin/sh\n');
      t.is(await fsp.readFile(p('ro/late'), 'utf8'), 'late');
      t.is(await fsp.readFile(p('ro/sub/deep'), 'utf8'), 'deep');
      t.is(await fsp.readFile(p('empty'), 'utf8'), '');
      t.is(await fsp.readFile(p('replaced'), 'utf8'), 'second');

      t.is(await fsp.readlink(p('usr/bin/alias')), 'tool');
      t.is(await fsp.readlink(p('abs')), '/usr/bin/tool', 'symlink targets are stored verbatim');

      const a = await fsp.stat(p('usr/bin/tool'));
      const b = await fsp.stat(p('usr/bin/tool2'));
      t.is(a.ino, b.ino, 'hardlink shares the inode');
      t.is(a.nlink, 2);

      t.is(await mtime('usr/bin/tool'), M_FILE.getTime());
      t.is(await mtime('usr/bin/tool2'), M_FILE.getTime());
      t.is(await mtime('usr'), M_DIR.getTime(), 'directory mtime restored');
      t.is(await mtime('usr/bin'), M_BIN.getTime(), 'directory mtime restored despite later children');
      t.is(await mtime('ro'), M_RO.getTime(), 'read-only directory mtime restored');
      t.is(await mtime('etc/conf'), T0.getTime());
    },
  );
});

test('re-declaring an existing directory keeps its contents', confined,
  [
    { name: 'd/', type: 'directory' },
    { name: 'd/f', content: 'kept' },
    { name: 'd/', type: 'directory', mode: 0o700 },
  ],
  { 'd/f': 'file:kept' });

test('a file replacing a non-empty directory', confined,
  [
    { name: 'd/sub/f', content: 'gone' },
    { name: 'd', content: 'now a file' },
  ],
  { d: 'file:now a file' });

test('whiteouts: "none" drops whiteout entries', confined,
  [
    { name: 'a/.wh.gone', content: '' },
    { name: 'a/.wh..wh..opq', content: '' },
    { name: 'a/kept', content: 'k' },
  ],
  { 'a/.wh.gone': 'missing', 'a/.wh..wh..opq': 'missing', gone: 'missing', 'a/kept': 'file:k' });

// ---------------------------------------------------------------- devices and fifos

test('devices and fifos are skipped and reported', async (t) => {
  await run(
    t,
    [
      { name: 'dev/', type: 'directory' },
      { name: 'dev/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 },
      { name: 'dev/sda', type: 'block-device', mode: 0o660, devmajor: 8, devminor: 0 },
      { name: '/run/fifo', type: 'fifo', mode: 0o600 },
      { name: 'after', content: 'a' },
    ],
    async (box, { report, error }) => {
      t.is(error, undefined, String(error));
      t.deepEqual(report?.skippedDevices, ['dev/null', 'dev/sda', 'run/fifo']);
      t.is(report?.entries, 5);
      t.deepEqual(await fsp.readdir(join(box.root, 'dev')), []);
      t.is(await kind(join(box.root, 'run/fifo')), 'missing');
      t.is(await fsp.readFile(join(box.root, 'after'), 'utf8'), 'a');
    },
  );
});

// ---------------------------------------------------------------- truncation

const truncated = test.macro({
  async exec(t, cut: (full: Buffer) => number, step: number) {
    t.timeout(20_000);
    const box = await makeSandbox();
    try {
      const full = await buildTar([
        { name: 'first', content: 'one' },
        { name: 'big', content: Buffer.alloc(10_000, 0x61) },
        { name: 'last', content: 'z' },
      ]);
      const before = await snapshot(box.parent, box.root);
      // Before the fix this never settled: the promise just hung (the test timeout caught it).
      await t.throwsAsync(extractLayer(feed(full.subarray(0, cut(full)), step), box.root, OPTIONS), {
        message: /Unexpected end of data|ended inside/,
      });
      t.is(await kind(join(box.root, 'last')), 'missing');
      t.deepEqual(await snapshot(box.parent, box.root), before);
    } finally {
      await removeSandbox(box.parent);
    }
  },
  title: (provided) => `truncated tar rejects (${provided ?? ''})`,
});

// Layout: first = header@0 + data@512, big = header@1024 + data@1536..11536.
for (const step of [700, 1 << 20]) {
  test(`cut inside a file's data, ${step}-byte chunks`, truncated, () => 1536 + 3000, step);
  test(`cut inside a header, ${step}-byte chunks`, truncated, () => 1024 + 100, step);
  test(`cut right after a header, ${step}-byte chunks`, truncated, () => 1536, step);
  test(`cut before the end-of-archive blocks, ${step}-byte chunks`, truncated, () => 11776 - 1, step);
}

test('a stream that errors mid-way rejects', async (t) => {
  t.timeout(20_000);
  const box = await makeSandbox();
  try {
    const full = await buildTar([{ name: 'big', content: Buffer.alloc(10_000, 0x61) }]);
    const source = new Readable({
      read() {
        this.push(full.subarray(0, 2048));
        this.destroy(new Error('network went away'));
      },
    });
    await t.throwsAsync(extractLayer(source, box.root, OPTIONS), { message: /network went away/ });
  } finally {
    await removeSandbox(box.parent);
  }
});

// ---------------------------------------------------------------- long names

const LONG_DIR = `${'d'.repeat(120)}/${'e'.repeat(120)}/${'f'.repeat(120)}`;
const LONG_FILE = `${LONG_DIR}/${'n'.repeat(200)}`;

test('very long names and link targets (pax headers)', confined,
  [
    { name: LONG_FILE, content: 'long' },
    { name: 'sym', type: 'symlink', linkname: LONG_FILE },
    { name: 'hard', type: 'link', linkname: LONG_FILE },
    { name: `${LONG_DIR}/s`, type: 'symlink', linkname: `../../../${'x'.repeat(150)}` },
    { name: 'short', content: 'renamed by pax', pax: { path: `${'p'.repeat(150)}/q` } },
  ],
  {
    [LONG_FILE]: 'file:long',
    sym: `symlink:${LONG_FILE}`,
    hard: 'file:long',
    [`${LONG_DIR}/s`]: `symlink:../../../${'x'.repeat(150)}`,
    [`${'p'.repeat(150)}/q`]: 'file:renamed by pax',
    short: 'missing',
  });
