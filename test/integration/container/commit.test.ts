// `skiff commit`: a container's changes become a new layer, stored
// uncompressed as podman stores it (whiteouts and opaque directories
// included), of an image that runs on overlay and vfs, with --change, -m and -a in its config, --format docker media types,
// --squash to one layer; a commit killed with -9 leaves no image and no name;
// a running container is paused while its changes are read (-p, the default).
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { poll, uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();
// A store keeps the driver it was made with: vfs gets its own, and an image moves between them by save and load.
const vfsEnv = useBusyboxEnv();
const storeOf = (driver: 'overlay' | 'vfs') => (driver === 'vfs' ? vfsEnv : env);

const CHANGES = [
  'echo hi > /etc/added',
  'echo more >> /etc/group',
  'rm /etc/passwd',
  // An opaque directory: removed and made again, with new content.
  'rm -rf /home/user', 'mkdir /home/user', 'echo new > /home/user/new',
  // Archived as a link, never followed into the host.
  'ln -s / /tmp/host',
].join('; ');

/** Checks, in a container of `image` on `driver`, that the changes are there and the deleted files stay deleted. */
const CHECK = [
  'cat /etc/added',
  'tail -n 1 /etc/group',
  'test ! -e /etc/passwd && echo passwd-gone',
  'test ! -e /home/user/owned-by-1000 && echo opaque-hid',
  'cat /home/user/new',
  'test -L /tmp/host && echo link',
].join('; ');
const CHECKED = ['hi', 'more', 'passwd-gone', 'opaque-hid', 'new', 'link'];

interface StoredImage { id: string; names: string[]; manifestDigest: string; layers: string[] }

async function storedImages(root = env.root): Promise<StoredImage[]> {
  const index = JSON.parse(await readFile(join(root, 'images', 'images.json'), 'utf8').catch(() => '{"images":[]}')) as { images: StoredImage[] };
  return index.images;
}

async function blobJson(digest: string): Promise<any> {
  return JSON.parse(await readFile(join(env.root, 'blobs', 'sha256', digest.replace(/^sha256:/, '')), 'utf8'));
}

for (const from of ['overlay', 'vfs'] as const) {
  test.serial(`a commit on ${from} runs on overlay and vfs with its changes, whiteouts and opaque directory`, async (t) => {
    const name = uniqueName('cm');
    const image = `localhost/${name}:v1`;
    const store = storeOf(from);
    await store.skiff(['--storage-driver', from, 'run', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', CHANGES]);
    const out = await store.skiff(['--storage-driver', from, 'commit', name, image]);
    t.regex(out.stdout, /^[0-9a-f]{64}$/);
    t.regex(out.stderr, /Writing manifest to image destination/);
    const other = from === 'vfs' ? 'overlay' : 'vfs';
    const archive = join(store.dir, `${name}.tar`);
    await store.skiff(['save', '-o', archive, image]);
    await storeOf(other).skiff(['load', '-q', '-i', archive]);
    for (const driver of ['overlay', 'vfs'] as const) {
      const run = await storeOf(driver).skiff(['--storage-driver', driver, 'run', '--rm', image, 'sh', '-c', CHECK]);
      t.deepEqual(run.lines, CHECKED, `run on ${driver}`);
    }
    // The image's top layer is what the container changed.
    const containerDiff = (await store.skiff(['--storage-driver', from, 'diff', name])).lines;
    t.deepEqual((await store.skiff(['diff', image])).lines, containerDiff);
    const stored = (await storedImages(store.root)).find((i) => i.names.includes(image))!;
    t.is(stored.id, out.stdout);
    t.is(stored.layers.length, 2);
  });
}

test.serial('--change, -m (docker format) and -a set the config and the history; -q prints the id only', async (t) => {
  const name = uniqueName('cm');
  const image = `localhost/${name}`;
  await env.skiff(['run', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', 'echo x > /x']);
  const out = await env.skiff([
    'commit', '-q', '-f', 'docker', '-c', 'CMD ["cat","/x"]', '-c', 'ENV GREETING=hello', '-c', 'LABEL team=storage',
    '-m', 'added x', '-a', 'Ann <ann@example.com>', name, image,
  ]);
  t.regex(out.stdout, /^[0-9a-f]{64}$/);
  t.is(out.stderr, '');
  t.is((await env.skiff(['run', '--rm', image])).stdout, 'x');
  t.is((await env.skiff(['run', '--rm', image, 'sh', '-c', 'echo $GREETING'])).stdout, 'hello');
  const inspect = JSON.parse((await env.skiff(['image', 'inspect', image])).stdout)[0];
  t.is(inspect.Labels.team, 'storage');
  t.is(inspect.Author, 'Ann <ann@example.com>');
  t.is(inspect.Comment, 'added x');
  const history = (await env.skiff(['history', '--format', '{{.Comment}}|{{.CreatedBy}}', '--no-trunc', image])).lines;
  t.regex(history[0], /^added x\|sh -c echo x > \/x$/);
});

test.serial("the image takes the container's entrypoint, command, environment, labels and working directory, as podman's commit; --change wins", async (t) => {
  const name = uniqueName('cmcfg');
  const image = `localhost/${name}`;
  await env.skiff(['run', '--name', name, '--entrypoint', 'sh', '-e', 'FOO=bar', '-w', '/tmp', '--label', 'team=runtime',
    BUSYBOX_IMAGE, '-c', 'echo "$FOO in $(pwd)"']);
  await env.skiff(['commit', '-q', '-c', 'LABEL extra=yes', name, image]);
  const config = JSON.parse((await env.skiff(['image', 'inspect', '--format', '{{json .Config}}', image])).stdout);
  t.deepEqual(config.Entrypoint, ['sh']);
  t.deepEqual(config.Cmd, ['-c', 'echo "$FOO in $(pwd)"']);
  t.true(config.Env.includes('FOO=bar'));
  t.is(config.WorkingDir, '/tmp');
  t.deepEqual(config.Labels, { team: 'runtime', extra: 'yes' });
  // The committed image runs what the container ran.
  t.is((await env.skiff(['run', '--rm', image])).stdout, 'bar in /tmp');
});

test.serial('--format docker writes Docker media types; the default is OCI; the new layer is an uncompressed tar; both save', async (t) => {
  const name = uniqueName('cm');
  await env.skiff(['run', '--name', name, BUSYBOX_IMAGE, 'touch', '/y']);
  await env.skiff(['commit', '--format', 'docker', name, `localhost/${name}:docker`]);
  await env.skiff(['commit', name, `localhost/${name}:oci`]);
  const images = await storedImages();
  const docker = await blobJson(images.find((i) => i.names.includes(`localhost/${name}:docker`))!.manifestDigest);
  t.is(docker.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  t.is(docker.config.mediaType, 'application/vnd.docker.container.image.v1+json');
  // The base image's layer keeps its compression (an uncompressed tar here); the new one is an
  // uncompressed tar as podman commits it (push compresses), so its digest is its diff id.
  t.true(docker.layers.every((l: { mediaType: string }) => l.mediaType.startsWith('application/vnd.docker.image.rootfs.diff.tar')));
  t.is(docker.layers.at(-1).mediaType, 'application/vnd.docker.image.rootfs.diff.tar');
  const oci = await blobJson(images.find((i) => i.names.includes(`localhost/${name}:oci`))!.manifestDigest);
  t.is(oci.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  t.true(oci.layers.every((l: { mediaType: string }) => l.mediaType.startsWith('application/vnd.oci.image.layer.v1.tar')));
  t.is(oci.layers.at(-1).mediaType, 'application/vnd.oci.image.layer.v1.tar');
  const config = await blobJson(oci.config.digest);
  t.is(oci.layers.at(-1).digest, config.rootfs.diff_ids.at(-1));
  const top = await readFile(join(env.root, 'blobs', 'sha256', oci.layers.at(-1).digest.replace(/^sha256:/, '')));
  t.is(top.length, oci.layers.at(-1).size);
  t.not(top.readUInt16BE(0), 0x1f8b, 'not gzip');
  for (const tag of ['docker', 'oci']) {
    await env.skiff(['save', '-o', join(env.dir, `${name}-${tag}.tar`), `localhost/${name}:${tag}`]);
  }
  await env.skiff(['rmi', `localhost/${name}:docker`]);
  await env.skiff(['load', '-i', join(env.dir, `${name}-docker.tar`)]);
  t.is((await env.skiff(['run', '--rm', `localhost/${name}:docker`, 'ls', '/y'])).stdout, '/y');
});

test.serial('--squash makes one layer of the whole file system', async (t) => {
  const name = uniqueName('cm');
  const image = `localhost/${name}:flat`;
  await env.skiff(['run', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', CHANGES]);
  await env.skiff(['commit', '--squash', name, image]);
  const stored = (await storedImages()).find((i) => i.names.includes(image))!;
  t.is(stored.layers.length, 1);
  t.is((await blobJson(stored.manifestDigest)).layers.length, 1);
  t.deepEqual((await env.skiff(['run', '--rm', image, 'sh', '-c', CHECK])).lines, CHECKED);
});

test.serial('without a name the image is dangling; a running container is paused for the commit, silently, and runs on', async (t) => {
  const name = uniqueName('cm');
  // A counter written every 50 ms: it keeps counting after the commit only if the container was resumed.
  // Written beside and renamed over, so the pause never catches /count truncated but not yet written.
  await env.skiff(['run', '-d', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', 'echo up > /up; i=0; while :; do i=$((i+1)); echo $i > /count.new; mv /count.new /count; usleep 50000; done']);
  await poll(async () => (await env.skiff(['diff', name])).lines.includes('A /count') || undefined);
  const out = await env.skiff(['commit', '-q', name]);
  // podman prints nothing on stderr for a paused commit.
  t.is(out.stderr, '');
  const stored = (await storedImages()).find((i) => i.id === out.stdout)!;
  t.deepEqual(stored.names, []);
  t.is((await env.skiff(['run', '--rm', out.stdout, 'cat', '/up'])).stdout, 'up');
  t.regex((await env.skiff(['run', '--rm', out.stdout, 'cat', '/count'])).stdout, /^\d+$/);
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', name])).stdout, 'running');
  const count = async () => Number((await env.skiff(['exec', name, 'cat', '/count'])).stdout);
  const first = await count();
  t.truthy(await poll(async () => (await count()) > first || undefined), 'the counter goes on after the commit');
  const unpaused = await env.skiff(['commit', '--pause=false', '-q', name]);
  t.is(unpaused.stderr, '');
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', name])).stdout, 'running');
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('a paused container is committed without being resumed: it stays paused', async (t) => {
  const name = uniqueName('cm');
  await env.skiff(['run', '-d', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', 'echo up > /up; sleep 100']);
  await poll(async () => (await env.skiff(['diff', name])).lines.includes('A /up') || undefined);
  await env.skiff(['pause', name]);
  const out = await env.skiff(['commit', '-q', name]);
  t.is(out.stderr, '');
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', name])).stdout, 'paused');
  t.is((await env.skiff(['run', '--rm', out.stdout, 'cat', '/up'])).stdout, 'up');
  await env.skiff(['unpause', name]);
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', name])).stdout, 'running');
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('a running container is paused while its changes are read: ps shows it; a commit killed with -9 then leaves it paused and unpause resumes it', async (t) => {
  const name = uniqueName('cm');
  await env.skiff(['run', '-d', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', 'dd if=/dev/urandom of=/big bs=1M count=60 2>/dev/null; echo done > /ready; sleep 100']);
  await poll(async () => (await env.skiff(['diff', name])).lines.includes('A /ready') || undefined, 30_000);
  const tmp = join(env.root, 'tmp');
  const commit = execa(join(process.cwd(), 'bin', 'skiff'), ['--root', env.root, '--runroot', env.runroot, 'commit', name], { reject: false, stdin: 'ignore' });
  // The blob is written while the changes are read: the container must be paused by then.
  const owner = await poll(async () => {
    const names = await readdir(tmp).catch(() => [] as string[]);
    const blob = names.find((n) => /^blob-\d+-/.test(n));
    return blob ? Number(/^blob-(\d+)-/.exec(blob)![1]) : undefined;
  }, 30_000, 20);
  if (owner === undefined) return t.fail('the commit never started writing its blob');
  process.kill(owner, 'SIGKILL');
  t.not((await commit).exitCode, 0);
  t.is((await env.skiff(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}'])).stdout, 'Paused');
  await env.skiff(['unpause', name]);
  t.is((await env.skiff(['inspect', '--format', '{{.State.Status}}', name])).stdout, 'running');
  t.is((await env.skiff(['exec', name, 'cat', '/ready'])).stdout, 'done');
  await env.skiff(['rm', '-f', '-t', '0', name]);
});

test.serial('bad input fails with 125 and leaves nothing', async (t) => {
  const before = await storedImages();
  const none = await env.skiff(['commit', 'nosuchcontainer', 'localhost/never'], { exit: 125 });
  t.regex(none.stderr, /^Error: .*nosuchcontainer/m);
  const name = uniqueName('cm');
  await env.skiff(['create', '--name', name, BUSYBOX_IMAGE, 'true']);
  const bad = await env.skiff(['commit', '--format', 'zip', name, 'localhost/never'], { exit: 125 });
  t.regex(bad.stderr, /^Error: unrecognized image format "zip"$/m);
  const ociMessage = await env.skiff(['commit', '-m', 'hello', name, 'localhost/never'], { exit: 125 });
  t.regex(ociMessage.stderr, /^Error: messages are only compatible with the docker image format \(-f docker\)$/m);
  const badChange = await env.skiff(['commit', '-c', 'FROB x', name, 'localhost/never'], { exit: 125 });
  t.regex(badChange.stderr, /^Error: invalid change "FROB x"/m);
  t.deepEqual(await storedImages(), before);
});

test.serial('a commit killed with -9 while it writes leaves no image, no name, and its temp data is cleaned up', async (t) => {
  const name = uniqueName('cm');
  const image = `localhost/${name}:killed`;
  await env.skiff(['run', '--name', name, BUSYBOX_IMAGE, 'sh', '-c', 'dd if=/dev/urandom of=/big bs=1M count=60 2>/dev/null']);
  const before = await storedImages();
  const tmp = join(env.root, 'tmp');
  const commit = execa(join(process.cwd(), 'bin', 'skiff'), ['--root', env.root, '--runroot', env.runroot, 'commit', name, image], { reject: false, stdin: 'ignore' });
  // The process that writes the blob names its temp file after itself: kill that one.
  const owner = await poll(async () => {
    const names = await readdir(tmp).catch(() => [] as string[]);
    const blob = names.find((n) => /^blob-\d+-/.test(n));
    return blob ? Number(/^blob-(\d+)-/.exec(blob)![1]) : undefined;
  }, 30_000, 20);
  if (owner === undefined) return t.fail('the commit never started writing its blob');
  process.kill(owner, 'SIGKILL');
  t.not((await commit).exitCode, 0);
  t.deepEqual(await storedImages(), before);
  // The next commit removes the dead one's temp data and succeeds.
  await env.skiff(['commit', '-q', name, image]);
  t.false((await readdir(tmp)).some((n) => n.includes(`-${owner}-`)));
  t.is((await env.skiff(['run', '--rm', image, 'sh', '-c', 'wc -c < /big'])).stdout.trim(), String(60 << 20));
});
