// `skiff push`, `login` and `logout` against real registries (Debian's
// docker-registry on 127.0.0.1), checked from the outside with skopeo and
// the registry API: digests kept, uncompressed layers gzipped, zstd
// recompression, TLS with basic auth
// and credentials in a private auth file.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { importBusybox } from '../../fixtures/busybox.js';
import { buildLayeredImage, MEDIA_TYPES, type BuiltImage, type OciManifest } from '../../fixtures/oci-image.js';
import { pushOciLayout, registryRequest, startRegistry, type TestRegistry } from '../../helpers/registry.js';
import { podmanPeer } from '../../helpers/podman.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
let plain: TestRegistry;
let secure: TestRegistry;
let layered: BuiltImage;
let fixtures: string;

const insecure = ['--tls-verify=false'];
const hex = (digest: string) => digest.replace(/^sha256:/, '');

test.before(async () => {
  env = await newTestEnv();
  fixtures = await mkdtemp(join(tmpdir(), 'skf-'));
  [plain, secure] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: { user: 'alice', password: 's3cret-pw' } })]);
  layered = await buildLayeredImage(join(fixtures, 'layered'));
  await pushOciLayout(plain, layered.dir, 'src/layered:latest');
  await env.skiff(['pull', '-q', ...insecure, `${plain.host}/src/layered:latest`]);
});

test.after.always(async () => {
  await env?.cleanup();
  await Promise.all([plain?.stop(), secure?.stop()]);
  if (fixtures) await rm(fixtures, { recursive: true, force: true });
});

/** skopeo with no system registries.conf or auth file of the user's. */
async function skopeo(args: string[]): Promise<string> {
  const dir = await mkdtemp(join(fixtures, 'skopeo-'));
  await writeFile(join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  const r = await execa('skopeo', args, {
    reject: false,
    stdin: 'ignore',
    timeout: 90_000,
    env: { CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'), REGISTRY_AUTH_FILE: join(dir, 'auth.json'), TMPDIR: dir },
  });
  if (r.exitCode !== 0) throw new Error(`skopeo ${args.join(' ')} exited ${r.exitCode}\n${String(r.stderr)}`);
  return String(r.stdout);
}

async function remoteManifest(reg: TestRegistry, repo: string, tag: string): Promise<{ digest: string; manifest: OciManifest }> {
  const res = await registryRequest(reg, `/v2/${repo}/manifests/${tag}`, {
    headers: { Accept: [MEDIA_TYPES.manifest, 'application/vnd.docker.distribution.manifest.v2+json'].join(', ') },
  });
  if (res.status !== 200) throw new Error(`GET manifest ${repo}:${tag}: ${res.status} ${res.body.toString()}`);
  return { digest: String(res.headers['docker-content-digest']), manifest: JSON.parse(res.body.toString()) as OciManifest };
}

test.serial('push of a pulled image keeps its manifest digest; skopeo inspects and copies it', async (t) => {
  const digestFile = join(env.dir, 'digest.txt');
  const r = await env.skiff(['push', ...insecure, '--digestfile', digestFile, `${plain.host}/src/layered:latest`, `docker://${plain.host}/copy/layered:v1`]);
  t.is(r.stdout, '');
  t.regex(r.stderr, /^Getting image source signatures$/m);
  t.regex(r.stderr, /^Copying blob [0-9a-f]{12} /m);
  t.regex(r.stderr, new RegExp(`^Copying config ${hex(layered.configDigest).slice(0, 12)} done$`, 'm'));
  t.regex(r.stderr, /Writing manifest to image destination$/);
  t.is(await readFile(digestFile, 'utf8'), layered.manifestDigest);

  const inspected = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${plain.host}/copy/layered:v1`])) as { Digest: string; Layers: string[] };
  t.is(inspected.Digest, layered.manifestDigest);
  t.deepEqual(inspected.Layers, layered.layerDigests);
  const out = join(fixtures, 'copied');
  await skopeo(['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${plain.host}/copy/layered:v1`, `oci:${out}:v1`]);
  const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  t.is(index.manifests[0]?.digest, layered.manifestDigest);
});

test.serial('without DESTINATION the image name is used; blobs already there are skipped; -q is silent', async (t) => {
  const r = await env.skiff(['push', ...insecure, `${plain.host}/src/layered:latest`]);
  t.regex(r.stderr, /Copying blob [0-9a-f]{12} skipped: already exists/);
  const q = await env.skiff(['push', '-q', ...insecure, `${plain.host}/src/layered`, `${plain.host}/quiet/layered:latest`]);
  t.is(q.stdout, '');
  t.is(q.stderr, '');
  t.is((await remoteManifest(plain, 'quiet/layered', 'latest')).digest, layered.manifestDigest);
});

// podman 4.3 gzips an imported (uncompressed) layer on push: its manifest says
// `application/vnd.oci.image.layer.v1.tar+gzip` and its digest is not the local one.
test.serial('an imported image is pushed with its uncompressed layer gzipped, as podman does; skiff and podman pull it back with the same id', async (t) => {
  const fresh = await newTestEnv();
  const back = await newTestEnv();
  const peer = podmanPeer(join(fixtures, 'podman-imported'));
  try {
    const id = hex(await importBusybox(fresh, 'localhost/pushbb'));
    const local = (await fresh.skiff(['image', 'inspect', '--format', '{{.Digest}}', 'pushbb'])).stdout.trim();
    const localManifest = JSON.parse(await readFile(join(fresh.root, 'blobs', 'sha256', hex(local)), 'utf8')) as OciManifest;
    t.is(localManifest.layers[0]?.mediaType, MEDIA_TYPES.layer.none);
    await fresh.skiff(['push', '-q', ...insecure, '--digestfile', join(fresh.dir, 'bb.txt'), 'pushbb', `${plain.host}/bb:latest`]);
    const { digest, manifest } = await remoteManifest(plain, 'bb', 'latest');
    t.is(await readFile(join(fresh.dir, 'bb.txt'), 'utf8'), digest);
    t.not(digest, local);
    t.is(manifest.config.digest, `sha256:${id}`);
    t.deepEqual(manifest.layers.map((l) => l.mediaType), [MEDIA_TYPES.layer.gzip]);
    const blob = await registryRequest(plain, `/v2/bb/blobs/${manifest.layers[0]!.digest}`);
    t.deepEqual([...blob.body.subarray(0, 2)], [0x1f, 0x8b], 'the pushed layer is gzip');
    // The gzipped copy is kept: a second push sends the same blob and manifest.
    t.truthy(await stat(join(fresh.root, 'blobs', 'sha256', hex(manifest.layers[0]!.digest))));
    await fresh.skiff(['push', '-q', ...insecure, 'pushbb', `${plain.host}/bb2:latest`]);
    t.is((await remoteManifest(plain, 'bb2', 'latest')).digest, digest);

    const pulled = await back.skiff(['pull', '-q', ...insecure, `${plain.host}/bb:latest`]);
    t.is(pulled.stdout.trim(), id);
    await peer.run(['pull', '-q', '--tls-verify=false', `${plain.host}/bb:latest`]);
    const inspected = JSON.parse(await peer.run(['image', 'inspect', `${plain.host}/bb:latest`])) as Array<{ Id: string; Digest: string }>;
    t.is(inspected[0]?.Id, id);
    t.is(inspected[0]?.Digest, digest);
  } finally {
    await Promise.all([fresh.cleanup(), back.cleanup(), peer.cleanup()]);
  }
});

test.serial('a committed docker-format image is pushed with gzip layers of Docker type; skiff and podman pull and run it', async (t) => {
  const fresh = await newTestEnv();
  const back = await newTestEnv();
  const peer = podmanPeer(join(fixtures, 'podman-committed'));
  try {
    await importBusybox(fresh, 'localhost/commitbase');
    await fresh.skiff(['run', '--name', 'cm', 'commitbase', 'sh', '-c', 'echo committed > /made']);
    const id = (await fresh.skiff(['commit', '-q', '-f', 'docker', 'cm', 'localhost/committed'])).stdout.trim();
    await fresh.skiff(['push', '-q', ...insecure, 'committed', `${plain.host}/committed:latest`]);
    const { digest, manifest } = await remoteManifest(plain, 'committed', 'latest');
    t.is((manifest as { mediaType?: string }).mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    t.deepEqual(manifest.layers.map((l) => l.mediaType), ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'application/vnd.docker.image.rootfs.diff.tar.gzip']);
    for (const layer of manifest.layers) {
      const blob = await registryRequest(plain, `/v2/committed/blobs/${layer.digest}`);
      t.deepEqual([...blob.body.subarray(0, 2)], [0x1f, 0x8b], `layer ${layer.digest} is gzip`);
    }
    t.is((await back.skiff(['pull', '-q', ...insecure, `${plain.host}/committed:latest`])).stdout.trim(), id);
    t.is((await back.skiff(['run', '--rm', `${plain.host}/committed:latest`, 'cat', '/made'])).stdout, 'committed');
    await peer.run(['pull', '-q', '--tls-verify=false', `${plain.host}/committed:latest`]);
    const inspected = JSON.parse(await peer.run(['image', 'inspect', `${plain.host}/committed:latest`])) as Array<{ Id: string; Digest: string }>;
    t.is(inspected[0]?.Id, id);
    t.is(inspected[0]?.Digest, digest);
  } finally {
    await Promise.all([fresh.cleanup(), back.cleanup(), peer.cleanup()]);
  }
});

test.serial('to another repository of the registry it came from, blobs are mounted, not uploaded', async (t) => {
  const r = await env.skiff(['push', ...insecure, `${plain.host}/src/layered:latest`, `${plain.host}/mounted/layered:latest`]);
  // The registry links blobs per repository: without a mount the new one would have had to receive them.
  for (const layer of layered.layerDigests) {
    t.regex(r.stderr, new RegExp(`Copying blob ${hex(layer).slice(0, 12)} skipped: already exists`));
    const head = await registryRequest(plain, `/v2/mounted/layered/blobs/${layer}`, { method: 'HEAD' });
    t.is(head.status, 200);
  }
  t.is((await remoteManifest(plain, 'mounted/layered', 'latest')).digest, layered.manifestDigest);
});

test.serial('podman pulls what skiff pushed, with the same image id and manifest digest', async (t) => {
  const peer = podmanPeer(join(fixtures, 'podman'));
  try {
    await peer.run(['pull', '-q', '--tls-verify=false', `${plain.host}/copy/layered:v1`]);
    const inspected = JSON.parse(await peer.run(['image', 'inspect', `${plain.host}/copy/layered:v1`])) as Array<{ Id: string; Digest: string }>;
    t.is(inspected[0]?.Id, hex(layered.configDigest));
    t.is(inspected[0]?.Digest, layered.manifestDigest);
  } finally {
    await peer.cleanup();
  }
});

test.serial('--compression-format zstd pushes zstd layers (same config) that skiff pulls back', async (t) => {
  const r = await env.skiff(['push', ...insecure, '--compression-format', 'zstd', '--digestfile', join(env.dir, 'zstd.txt'),
    `${plain.host}/src/layered:latest`, `${plain.host}/zstd/layered:latest`]);
  t.regex(r.stderr, /Writing manifest/);
  const { digest, manifest } = await remoteManifest(plain, 'zstd/layered', 'latest');
  t.is(await readFile(join(env.dir, 'zstd.txt'), 'utf8'), digest);
  t.not(digest, layered.manifestDigest);
  t.is(manifest.config.digest, layered.configDigest);
  t.is(manifest.layers.length, layered.layerDigests.length);
  for (const layer of manifest.layers) t.is(layer.mediaType, MEDIA_TYPES.layer.zstd);
  const raw = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${plain.host}/zstd/layered:latest`])) as OciManifest;
  t.deepEqual(raw.layers.map((l) => l.digest), manifest.layers.map((l) => l.digest));

  const fresh = await newTestEnv();
  try {
    const pulled = await fresh.skiff(['pull', '-q', ...insecure, `${plain.host}/zstd/layered:latest`]);
    t.is(pulled.stdout.trim(), hex(layered.configDigest));
  } finally {
    await fresh.cleanup();
  }
});

test.serial('errors: unknown image, other transports, bad compression format', async (t) => {
  const none = await env.skiff(['push', ...insecure, `${plain.host}/nope:latest`], { exit: 125 });
  t.regex(none.stderr, /Error: .*image not known/);
  const oci = await env.skiff(['push', `${plain.host}/src/layered:latest`, 'oci-archive://x.tar'], { exit: 125 });
  t.regex(oci.stderr, /Error: .*transport/);
  await env.skiff(['push', '--compression-format', 'lz4', `${plain.host}/src/layered:latest`], { exit: 125 });
});

test.serial('TLS + auth: login stores credentials (0600) that push uses; logout removes them', async (t) => {
  const authDir = join(env.dir, 'auth');
  const authFile = join(authDir, 'auth.json');
  const authEnv = { env: { REGISTRY_AUTH_FILE: authFile } };
  const certs = ['--cert-dir', secure.certDir!];
  const src = `${plain.host}/src/layered:latest`;
  const dest = `${secure.host}/private/layered:latest`;

  const denied = await env.skiff(['push', ...certs, src, dest], { exit: 125, ...authEnv });
  t.regex(denied.stderr, /Error: .*unauthorized/i);

  const wrong = await env.skiff(['login', ...certs, '-u', 'alice', '--password-stdin', secure.host], { exit: 125, stdin: 'wrong-pw\n', ...authEnv });
  t.regex(wrong.stderr, /Error: .*(unauthorized|invalid username\/password)/i);
  await t.throwsAsync(stat(authFile), { code: 'ENOENT' }, 'a refused login stores nothing');

  const both = await env.skiff(['login', '-u', 'alice', '-p', 'x', '--password-stdin', secure.host], { exit: 125, stdin: 'x\n', ...authEnv });
  t.regex(both.stderr, /--password-stdin/);

  // Another registry's entry must survive login and logout.
  await mkdir(authDir, { recursive: true, mode: 0o700 });
  await writeFile(authFile, JSON.stringify({ auths: { 'other.example': { auth: Buffer.from('bob:pw').toString('base64') } } }));
  const login = await env.skiff(['login', ...certs, '-u', 'alice', '--password-stdin', secure.host], { stdin: 's3cret-pw\n', ...authEnv });
  t.is(login.stdout, 'Login Succeeded!');
  t.false(`${login.stdout}${login.stderr}`.includes('s3cret-pw'));
  t.is((await stat(authFile)).mode & 0o777, 0o600);
  const stored = JSON.parse(await readFile(authFile, 'utf8')) as { auths: Record<string, { auth: string }> };
  t.deepEqual(Object.keys(stored.auths).sort(), ['other.example', secure.host].sort());
  t.is(Buffer.from(stored.auths[secure.host]!.auth, 'base64').toString(), 'alice:s3cret-pw');

  const pushed = await env.skiff(['push', ...certs, '--digestfile', join(env.dir, 'secure.txt'), src, dest], authEnv);
  t.false(`${pushed.stdout}${pushed.stderr}`.includes('s3cret-pw'));
  t.is(await readFile(join(env.dir, 'secure.txt'), 'utf8'), layered.manifestDigest);
  const res = await registryRequest(secure, '/v2/private/layered/manifests/latest', { auth: true, headers: { Accept: MEDIA_TYPES.manifest } });
  t.is(res.headers['docker-content-digest'], layered.manifestDigest);

  const logout = await env.skiff(['logout', secure.host], authEnv);
  t.is(logout.stdout, `Removed login credentials for ${secure.host}`);
  const after = JSON.parse(await readFile(authFile, 'utf8')) as { auths: Record<string, unknown> };
  t.deepEqual(Object.keys(after.auths), ['other.example']);
  const again = await env.skiff(['push', ...certs, src, dest], { exit: 125, ...authEnv });
  t.regex(again.stderr, /Error: .*unauthorized/i);
  const twice = await env.skiff(['logout', secure.host], { exit: 125, ...authEnv });
  t.regex(twice.stderr, new RegExp(`Error: not logged into ${secure.host.replace(/\./g, '\\.')}`));

  const all = await env.skiff(['logout', '--all'], authEnv);
  t.is(all.stdout, 'Removed login credentials for all registries');
  t.deepEqual((JSON.parse(await readFile(authFile, 'utf8')) as { auths: object }).auths, {});
});
