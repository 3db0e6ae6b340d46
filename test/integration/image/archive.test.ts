// `skiff save`, `load` and `export`: round trips in each format keep the
// image id, multi-image archives, podman as a peer in both directions, junk
// archives (truncated, `../` members) rejected with the store unchanged,
// and export of a container's merged root filesystem.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import { execa } from 'execa';
import pty from 'node-pty';
import tar from 'tar-stream';
import { BUSYBOX_IMAGE, buildBusyboxTar } from '../../fixtures/busybox.js';
import { hostOciArch } from '../../fixtures/oci-image.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { podmanPeer } from '../../helpers/podman.js';
import { PROJECT_ROOT, SKIFF_BIN } from '../../helpers/skiff.js';

const env = useBusyboxEnv();
let work: string;

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skar-'));
});

test.after.always(async () => {
  await podmanCleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

interface TarEntry {
  header: tar.Header;
  content: Buffer;
}

/** Every member of a tar file, with the content of regular files. */
async function readTar(path: string): Promise<Map<string, TarEntry>> {
  const out = new Map<string, TarEntry>();
  const extract = tar.extract();
  const feeding = pipeline(createReadStream(path), extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.set(entry.header.name.replace(/\/$/, ''), { header: entry.header, content: Buffer.concat(chunks) });
  }
  await feeding;
  return out;
}

/** A tar in memory from an inline tree of name → content. */
async function tarBuffer(members: Array<{ name: string; content: string | Buffer }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const m of members) pack.entry({ name: m.name }, m.content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Writes a tar from an inline tree of name → content. */
async function writeTar(path: string, members: Array<{ name: string; content: string | Buffer }>): Promise<void> {
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(path));
  for (const m of members) pack.entry({ name: m.name }, m.content);
  pack.finalize();
  await writing;
}

const imageIds = async () => (await env.skiff(['images', '-q', '--no-trunc'])).lines.sort();
const blobList = async () => (await readdir(join(env.root, 'blobs', 'sha256')).catch(() => [] as string[])).sort();

/** A second image distinct from bb (its own config), named NAME. */
async function importSecond(name: string): Promise<string> {
  const r = await env.skiff(['import', '--change', 'CMD ["/bin/sh"]', await buildBusyboxTar(), name]);
  return r.stdout.trim().replace(/^sha256:/, '');
}

for (const format of ['docker-archive', 'oci-archive', 'oci-dir'] as const) {
  test.serial(`save --format ${format}, rmi, load gives the same image id, which runs`, async (t) => {
    const out = join(work, `rt-${format}${format === 'oci-dir' ? '' : '.tar'}`);
    const saved = await env.skiff(['save', '--format', format, '-o', out, BUSYBOX_IMAGE]);
    t.is(saved.stdout, '');
    t.regex(saved.stderr, /Writing manifest to image destination/);
    if (format === 'docker-archive') {
      const members = await readTar(out);
      const manifest = JSON.parse(members.get('manifest.json')!.content.toString()) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
      t.deepEqual(manifest[0]?.RepoTags, ['localhost/bb:latest']);
      t.is(manifest[0]?.Config, `${env.imageId}.json`);
      // Layers are plain tars, as docker save writes them.
      const layer = members.get(manifest[0]!.Layers[0]!)!;
      t.is(layer.content.subarray(257, 262).toString(), 'ustar');
    } else if (format === 'oci-archive') {
      const members = await readTar(out);
      t.truthy(members.get('oci-layout'));
      const index = JSON.parse(members.get('index.json')!.content.toString()) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
      t.is(index.manifests[0]?.annotations?.['org.opencontainers.image.ref.name'], 'localhost/bb:latest');
      const digest = (await env.skiff(['image', 'inspect', '--format', '{{.Digest}}', BUSYBOX_IMAGE])).stdout.trim();
      t.is(index.manifests[0]?.digest, digest, 'the manifest digest is unchanged');
    } else {
      t.true((await stat(join(out, 'index.json'))).isFile());
    }

    await env.skiff(['rmi', BUSYBOX_IMAGE]);
    const loaded = await env.skiff(['load', '-i', out]);
    t.is(loaded.stdout, 'Loaded image: localhost/bb:latest');
    t.is((await env.skiff(['images', '-q', '--no-trunc', BUSYBOX_IMAGE])).stdout.replace(/^sha256:/, ''), env.imageId);
    t.is((await env.skiff(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'cat', '/home/user/owned-by-1000'])).stdout, 'this file belongs to uid 1000 gid 1000');
    const owner = await env.skiff(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'stat', '-c', '%u:%g', '/home/user/owned-by-1000']);
    t.is(owner.stdout, '1000:1000', 'owners survive the round trip');
  });
}

test.serial('save streams to stdout and load reads stdin; -q is silent', async (t) => {
  const file = join(work, 'stdout.tar');
  const args = ['--root', env.root, '--runroot', env.runroot];
  const saved = await execa(SKIFF_BIN, [...args, 'save', '-q', BUSYBOX_IMAGE], { stdout: { file }, stdin: 'ignore', timeout: 60_000, cwd: PROJECT_ROOT });
  t.is(saved.stderr, '');
  t.truthy((await readTar(file)).get('manifest.json'));
  const loaded = await execa(SKIFF_BIN, [...args, 'load', '-q'], { stdin: { file }, timeout: 60_000, cwd: PROJECT_ROOT });
  t.is(loaded.stdout, 'Loaded image: localhost/bb:latest');
  t.is(loaded.stderr, '');
});

const onTerminal: Array<[string[], RegExp]> = [
  [['save', BUSYBOX_IMAGE], /Error: refusing to save to terminal\. Use -o flag or redirect/],
  [['load'], /Error: cannot read from terminal, use command-line redirection or the --input flag/],
  [['export', 'no-such-ctr'], /Error: refusing to export to terminal\. Use -o flag or redirect/],
];
for (const [args, expected] of onTerminal) {
  test.serial(`${args[0]} refuses a terminal (podman's message, exit 125)`, async (t) => {
    const term = pty.spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, ...args], {
      name: 'xterm', cols: 200, rows: 30, cwd: PROJECT_ROOT, env: process.env as Record<string, string>,
    });
    let out = '';
    term.onData((d) => { out += d; });
    const { exitCode } = await new Promise<{ exitCode: number }>((resolve) => term.onExit(resolve));
    t.is(exitCode, 125);
    t.regex(out, expected);
  });
}

test.serial('save -m of two images and load of both; oci-archive holds both under ref.name', async (t) => {
  const secondId = await importSecond('localhost/second:v2');
  const multi = join(work, 'multi.tar');
  await env.skiff(['save', '-m', '-o', multi, BUSYBOX_IMAGE, 'second:v2']);
  const manifest = JSON.parse((await readTar(multi)).get('manifest.json')!.content.toString()) as Array<{ RepoTags: string[] }>;
  t.deepEqual(manifest.map((m) => m.RepoTags), [['localhost/bb:latest'], ['localhost/second:v2']]);

  const ociMulti = join(work, 'multi-oci.tar');
  await env.skiff(['save', '--format', 'oci-archive', '-o', ociMulti, BUSYBOX_IMAGE, 'second:v2']);
  const index = JSON.parse((await readTar(ociMulti)).get('index.json')!.content.toString()) as { manifests: Array<{ annotations?: Record<string, string> }> };
  t.deepEqual(index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']), ['localhost/bb:latest', 'localhost/second:v2']);

  for (const archive of [multi, ociMulti]) {
    await env.skiff(['rmi', BUSYBOX_IMAGE, 'localhost/second:v2']);
    const loaded = await env.skiff(['load', '-i', archive]);
    t.deepEqual(loaded.lines, ['Loaded image: localhost/bb:latest', 'Loaded image: localhost/second:v2']);
    t.is((await env.skiff(['images', '-q', '--no-trunc', 'localhost/second:v2'])).stdout, `sha256:${secondId}`);
    t.is((await env.skiff(['images', '-q', '--no-trunc', BUSYBOX_IMAGE])).stdout, `sha256:${env.imageId}`);
  }
  await env.skiff(['rmi', 'localhost/second:v2']);
});

test.serial('a truncated archive fails with 125 and leaves the store unchanged', async (t) => {
  await importSecond('localhost/victim');
  const full = join(work, 'victim.tar');
  await env.skiff(['save', '-q', '-o', full, 'localhost/victim']);
  await env.skiff(['rmi', 'localhost/victim']);
  await truncate(full, Math.floor((await stat(full)).size / 2));
  const before = { ids: await imageIds(), blobs: await blobList() };
  t.true(before.blobs.length > 0, 'the store holds blobs where blobList() looks');
  const r = await env.skiff(['load', '-i', full], { exit: 125 });
  t.regex(r.stderr, /^Error: .*(corrupt|truncated|incomplete|ends inside)/m);
  t.is(r.stdout, '');
  t.deepEqual(await imageIds(), before.ids);
  t.deepEqual(await blobList(), before.blobs);
});

test.serial('a layer that does not match its diff id stores nothing: no image, blob or layer is left', async (t) => {
  const layer = await tarBuffer([{ name: 'x', content: 'a layer whose diff id is wrong\n' }]);
  const config = { architecture: hostOciArch(), os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${'0'.repeat(64)}`] } };
  const bad = join(work, 'bad-layer.tar');
  await writeTar(bad, [
    { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', RepoTags: ['localhost/bad:1'], Layers: ['l.tar'] }]) },
    { name: 'c.json', content: JSON.stringify(config) },
    { name: 'l.tar', content: layer },
  ]);
  const before = { ids: await imageIds(), blobs: await blobList(), layers: await readdir(join(env.root, 'layers')) };
  t.true(before.blobs.length > 0 && before.layers.length > 0, 'the store holds blobs and layers where the test looks');
  const r = await env.skiff(['load', '-i', bad], { exit: 125 });
  t.regex(r.stderr, /^Error: layer sha256:[0-9a-f]+ has content sha256:[0-9a-f]+, but the image config says sha256:0+$/m);
  t.deepEqual(await imageIds(), before.ids);
  t.deepEqual(await blobList(), before.blobs);
  t.deepEqual(await readdir(join(env.root, 'layers')), before.layers);
});

test.serial('an archive with a ../ member is refused and writes nothing outside', async (t) => {
  const evil = join(work, 'evil.tar');
  await writeTar(evil, [
    { name: 'manifest.json', content: '[]' },
    { name: '../evil', content: 'pwned' },
    { name: '../../../../../../../../../../../tmp/skiff-evil-test', content: 'pwned' },
  ]);
  const before = await imageIds();
  const r = await env.skiff(['load', '-i', evil], { exit: 125 });
  t.regex(r.stderr, /^Error: refusing archive member "\.\.\/evil": the path leaves the archive/m);
  t.deepEqual(await imageIds(), before);
  await t.throwsAsync(stat('/tmp/skiff-evil-test'));
  t.deepEqual(await readdir(join(env.root, 'tmp')).catch(() => []), [], 'no temp dir is left');

  // A symlink member may point only inside the archive.
  const linked = join(work, 'evil-link.tar');
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(linked));
  pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'c.json', RepoTags: [], Layers: [] }]));
  pack.entry({ name: 'c.json', type: 'symlink', linkname: '../../../../../../etc/passwd' });
  pack.finalize();
  await writing;
  const l = await env.skiff(['load', '-i', linked], { exit: 125 });
  t.regex(l.stderr, /^Error: refusing archive member "c\.json": a link leaves the archive/m);
});

test.serial('not an archive, a missing file and an empty directory are clear one-line errors', async (t) => {
  const junk = join(work, 'junk.bin');
  await writeFile(junk, 'this is not a tar file at all'.repeat(40));
  const j = await env.skiff(['load', '-i', junk], { exit: 125 });
  t.regex(j.stderr, /^Error: /m);
  t.is(j.stderr.trim().split('\n').length, 1, 'one line');
  const m = await env.skiff(['load', '-i', join(work, 'nope.tar')], { exit: 125 });
  t.regex(m.stderr, /no such file/);
  const empty = join(work, 'emptydir');
  await mkdir(empty, { recursive: true });
  const d = await env.skiff(['load', '-i', empty], { exit: 125 });
  t.regex(d.stderr, /does not match any of the supported image formats/);
});

test.serial('export writes the merged root filesystem: new files in, deleted files out, owners as in the container', async (t) => {
  await env.skiff(['run', '--name', 'c', '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'echo hi > /created && rm /etc/group']);
  const out = join(work, 'export.tar');
  await env.skiff(['export', '-o', out, 'c']);
  const members = await readTar(out);
  t.is(members.get('created')?.content.toString(), 'hi\n');
  t.truthy(members.get('bin/busybox'));
  t.is(members.get('bin/sh')?.header.type, 'symlink');
  t.is(members.get('bin/sh')?.header.linkname, 'busybox');
  t.is(members.get('etc/passwd')?.header.uid, 0);
  t.false(members.has('etc/group'), 'a file deleted in the container is absent');
  const owned = members.get('home/user/owned-by-1000')?.header;
  t.deepEqual([owned?.uid, owned?.gid], [1000, 1000]);
  t.is(members.get('root')?.header.mode, 0o700);

  // The export is a rootfs tarball: it imports back as an image that runs.
  const imported = await env.skiff(['import', out, 'localhost/exported']);
  t.regex(imported.stdout, /^sha256:[0-9a-f]{64}$/);
  t.is((await env.skiff(['run', '--rm', '--network', 'none', 'localhost/exported', 'cat', '/created'])).stdout, 'hi');
  await env.skiff(['rm', 'c']);
});

test.serial('export of a running container reads its live root filesystem; errors are clear', async (t) => {
  await env.skiff(['run', '-d', '--name', 'live', '--network', 'none', BUSYBOX_IMAGE, 'sh', '-c', 'echo up > /live && sleep 60']);
  try {
    const out = join(work, 'live.tar');
    let members = new Map<string, TarEntry>();
    for (let i = 0; i < 50 && !members.has('live'); i++) {
      await env.skiff(['export', '-o', out, 'live']);
      members = await readTar(out);
    }
    t.is(members.get('live')?.content.toString(), 'up\n');
  } finally {
    await env.skiff(['rm', '-f', '-t', '0', 'live']);
  }
  const none = await env.skiff(['export', '-o', join(work, 'x.tar'), 'no-such-ctr'], { exit: 125 });
  t.regex(none.stderr, /no such container/);
  await t.throwsAsync(stat(join(work, 'x.tar')), undefined, 'no output file on failure');
});

// podman as a peer: it loads skiff's archives, and skiff loads podman's.
const peer = () => podmanPeer(join(work, 'podman'));
const podman = (args: string[]) => peer().run(args);
const podmanCleanup = async () => {
  if (work) await peer().cleanup();
};

test.serial('podman loads skiff docker-archive and oci-archive with the same id; skiff loads podman oci-archive', async (t) => {
  for (const format of ['docker-archive', 'oci-archive'] as const) {
    const out = join(work, `for-podman-${format}.tar`);
    await env.skiff(['save', '-q', '--format', format, '-o', out, BUSYBOX_IMAGE]);
    const loaded = await podman(['load', '-q', '-i', out]);
    t.regex(loaded, /Loaded image: localhost\/bb:latest/);
    t.is((await podman(['images', '-q', '--no-trunc', 'localhost/bb:latest'])).trim(), `sha256:${env.imageId}`);
    await podman(['rmi', 'localhost/bb:latest']);
  }

  const podmanId = (await podman(['import', '-q', await buildBusyboxTar(), 'localhost/frompodman'])).trim().replace(/^sha256:/, '');
  const podmanArchive = join(work, 'from-podman.tar');
  await podman(['save', '--format', 'oci-archive', '-o', podmanArchive, 'localhost/frompodman']);
  const r = await env.skiff(['load', '-i', podmanArchive]);
  t.is(r.stdout, 'Loaded image: localhost/frompodman:latest');
  t.is((await env.skiff(['images', '-q', '--no-trunc', 'localhost/frompodman'])).stdout, `sha256:${podmanId}`);
  t.is((await env.skiff(['run', '--rm', '--network', 'none', 'localhost/frompodman', 'echo', 'ok'])).stdout, 'ok');

  const podmanDocker = join(work, 'from-podman-docker.tar');
  await podman(['save', '--format', 'docker-archive', '-o', podmanDocker, 'localhost/frompodman']);
  await env.skiff(['rmi', 'localhost/frompodman']);
  const d = await env.skiff(['load', '-i', podmanDocker]);
  t.is(d.stdout, 'Loaded image: localhost/frompodman:latest');
  t.is((await env.skiff(['images', '-q', '--no-trunc', 'localhost/frompodman'])).stdout, `sha256:${podmanId}`);
});
