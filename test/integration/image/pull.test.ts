// `skiff pull` against a real registry (Debian's docker-registry on
// 127.0.0.1): layered images with whiteouts, zstd layers, multi-arch
// indexes, TLS with basic auth, and the failures that must leave no image.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildLayeredImage, buildMultiArchIndex, hostOciArch, type BuiltImage, type BuiltIndex } from '../../fixtures/oci-image.js';
import { startRegistry, pushOciLayout, type TestRegistry } from '../../helpers/registry.js';
import { newTestEnv, type TestEnv } from '../../helpers/skiff.js';
import { subIdBase } from '../../helpers/subid.js';

let env: TestEnv;
let plain: TestRegistry;
let secure: TestRegistry;
let layered: BuiltImage;
let zstd: BuiltImage;
let multi: BuiltIndex;
let fixtures: string;

test.before(async () => {
  env = await newTestEnv();
  fixtures = await mkdtemp(join(tmpdir(), 'skf-'));
  [plain, secure] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: { user: 'alice', password: 's3cret' } })]);
  layered = await buildLayeredImage(join(fixtures, 'layered'));
  zstd = await buildLayeredImage(join(fixtures, 'zstd'), { compression: 'zstd' });
  multi = await buildMultiArchIndex(join(fixtures, 'multi'));
  await Promise.all([
    pushOciLayout(plain, layered.dir, 'layered:latest'),
    pushOciLayout(plain, zstd.dir, 'zstd:latest'),
    pushOciLayout(plain, multi.dir, 'multi:latest', { all: true }),
    pushOciLayout(secure, layered.dir, 'private/layered:latest'),
  ]);
});

test.after.always(async () => {
  await env?.cleanup();
  await Promise.all([plain?.stop(), secure?.stop()]);
  if (fixtures) await rm(fixtures, { recursive: true, force: true });
});

const insecure = ['--tls-verify=false'];
const hex = (digest: string) => digest.replace(/^sha256:/, '');

test.serial('pull prints progress on stderr and the image id on stdout', async (t) => {
  const r = await env.skiff(['pull', ...insecure, `${plain.host}/layered:latest`]);
  t.is(r.stdout.trim(), hex(layered.configDigest));
  t.regex(r.stderr, /Trying to pull .*layered:latest/);
  t.regex(r.stderr, /Writing manifest to image destination/);
  const images = await env.skiff(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  t.true(images.lines.includes(`${plain.host}/layered:latest`));
});

test.serial('-q prints only the id', async (t) => {
  const r = await env.skiff(['pull', '-q', ...insecure, `${plain.host}/layered:latest`]);
  t.is(r.stdout.trim(), hex(layered.configDigest));
  t.is(r.stderr, '');
});

test.serial('whiteouts and opaque directories of upper layers hide lower files', async (t) => {
  const r = await env.skiff(['run', '--rm', '--network', 'none', `${plain.host}/layered:latest`, 'sh', '-c',
    'cat /data/keep.txt; ls /data/gone.txt 2>&1; ls /data/dir; stat -c %u /data/owned-by-1000.txt']);
  t.regex(r.stdout, /kept from layer 2/);
  t.regex(r.stdout, /gone\.txt: No such file/);
  t.regex(r.stdout, /^new\.txt$/m);
  t.notRegex(r.stdout, /old\.txt/);
  t.regex(r.stdout, /^1000$/m);
});

test.serial('zstd layers are decompressed and verified', async (t) => {
  const r = await env.skiff(['pull', '-q', ...insecure, `${plain.host}/zstd:latest`]);
  t.is(r.stdout.trim(), hex(zstd.configDigest));
  const run = await env.skiff(['run', '--rm', '--network', 'none', `${plain.host}/zstd:latest`, 'cat', '/data/keep.txt']);
  t.regex(run.stdout, /kept from layer 2/);
});

test.serial('a multi-arch index: the host platform by default, --arch picks another, none matching is an error', async (t) => {
  const arch = async () => (await env.skiff(['image', 'inspect', '--format', '{{.Architecture}}', `${plain.host}/multi:latest`])).stdout.trim();
  await env.skiff(['pull', '-q', ...insecure, `${plain.host}/multi:latest`]);
  t.is(await arch(), hostOciArch());
  const foreign = multi.platforms.foreign.architecture;
  await env.skiff(['pull', '-q', ...insecure, '--arch', foreign, `${plain.host}/multi:latest`]);
  t.is(await arch(), foreign);
  const absent = ['s390x', 'riscv64'].find((a) => a !== hostOciArch())!;
  const none = await env.skiff(['pull', ...insecure, '--platform', `linux/${absent}`, `${plain.host}/multi:latest`], { exit: 125 });
  t.regex(none.stderr, new RegExp(`Error: no image found in manifest list for architecture "linux/${absent}"`));
});

test.serial('TLS with basic auth: refused without credentials or CA, pulled with both', async (t) => {
  const ref = `${secure.host}/private/layered:latest`;
  const noCa = await env.skiff(['pull', '--creds', 'alice:s3cret', ref], { exit: 125 });
  t.regex(noCa.stderr, /Error: .*(certificate|x509)/i);
  const noCreds = await env.skiff(['pull', '--cert-dir', secure.certDir!, ref], { exit: 125 });
  t.regex(noCreds.stderr, /Error: .*unauthorized/i);
  const wrong = await env.skiff(['pull', '--cert-dir', secure.certDir!, '--creds', 'alice:wrong', ref], { exit: 125 });
  t.regex(wrong.stderr, /Error: .*(unauthorized|invalid username\/password)/i);
  const ok = await env.skiff(['pull', '-q', '--cert-dir', secure.certDir!, '--creds', 'alice:s3cret', ref]);
  t.is(ok.stdout.trim(), hex(layered.configDigest));
});

test.serial('TLS trusts the system store as podman does: SSL_CERT_FILE names the CA bundle', async (t) => {
  const ref = `${secure.host}/private/layered:latest`;
  const ok = await env.skiff(['pull', '-q', '--creds', 'alice:s3cret', ref], { env: { SSL_CERT_FILE: join(secure.certDir!, 'ca.crt') } });
  t.is(ok.stdout.trim(), hex(layered.configDigest));
  // A bundle without that CA: the registry's certificate is refused again.
  const other = await env.skiff(['pull', '-q', '--creds', 'alice:s3cret', ref], { env: { SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt', SSL_CERT_DIR: '' }, exit: 125 });
  t.regex(other.stderr, /Error: .*(certificate|x509)/i);
});

test.serial('a corrupted blob fails the digest check and stores nothing', async (t) => {
  // A private store, so blobs from earlier pulls do not hide the corruption,
  // and a private registry: registries store a blob once for all repositories.
  const [fresh, own] = await Promise.all([newTestEnv(), startRegistry()]);
  try {
    await pushOciLayout(own, layered.dir, 'corrupt:latest');
    const layer = layered.layerDigests[1];
    const data = join(own.dir, 'storage', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex(layer).slice(0, 2), hex(layer), 'data');
    const bytes = await readFile(data);
    bytes[bytes.length - 1] ^= 0xff; // same length, other content
    await writeFile(data, bytes);
    const r = await fresh.skiff(['pull', ...insecure, `${own.host}/corrupt:latest`], { exit: 125 });
    t.regex(r.stderr, /Error: .*digest mismatch/i);
    t.deepEqual((await fresh.skiff(['images', '-q'])).lines, []);
    const blobs = await readdir(join(fresh.root, 'blobs', 'sha256')).catch(() => [] as string[]);
    t.false(blobs.includes(hex(layer)), 'the corrupt blob was not stored');
    // Control: the good blob, pulled from elsewhere, lands where we looked.
    await fresh.skiff(['pull', '-q', ...insecure, `${plain.host}/layered:latest`]);
    t.true((await readdir(join(fresh.root, 'blobs', 'sha256'))).includes(hex(layer)), 'a good pull stores the blob under blobs/sha256');
  } finally {
    await Promise.all([fresh.cleanup(), own.stop()]);
  }
});

test.serial('unknown tag, registry down and a short name are clear errors with exit 125', async (t) => {
  const unknown = await env.skiff(['pull', ...insecure, `${plain.host}/layered:nope`], { exit: 125 });
  t.regex(unknown.stderr, /Error: .*manifest unknown/);
  const down = await env.skiff(['pull', ...insecure, '127.0.0.1:1/x:latest'], { exit: 125 });
  t.regex(down.stderr, /Error: .*connection refused/);
  const short = await env.skiff(['pull', 'busybox'], { exit: 125 });
  t.regex(short.stderr, /short-name "busybox"/);
  const bad = await env.skiff(['pull', 'UPPER/Case:x'], { exit: 125 });
  t.regex(bad.stderr, /Error: invalid reference format/);
});

test.serial('run --pull=missing pulls a missing image; --pull=never refuses', async (t) => {
  const fresh = await newTestEnv();
  try {
    const never = await fresh.skiff(['run', '--rm', '--pull=never', '--network', 'none', `${plain.host}/layered:latest`, 'true'], { exit: 125 });
    t.regex(never.stderr, /image not known/);
    const r = await fresh.skiff(['run', '--rm', ...insecure, '--network', 'none', `${plain.host}/layered:latest`, 'cat', '/data/keep.txt']);
    t.regex(r.stdout, /kept from layer 2/);
    t.regex(r.stderr, /Trying to pull/);
  } finally {
    await fresh.cleanup();
  }
});

test.serial('layer files are owned by sub-ids on the host', async (t) => {
  const base = await subIdBase('uid');
  const layersDir = join(env.root, 'layers');
  let found = false;
  for (const id of await readdir(layersDir)) {
    const file = join(layersDir, id, 'diff', 'data', 'owned-by-1000.txt');
    const st = await stat(file).catch(() => undefined);
    if (st) {
      t.is(st.uid, base + 999);
      found = true;
    }
  }
  t.true(found);
});

test.serial('the vfs driver applies whiteouts and opaque directories too', async (t) => {
  // A store keeps the driver it was made with: vfs gets its own.
  const vfs = await newTestEnv();
  try {
    const r = await vfs.skiff(['--storage-driver', 'vfs', 'run', '--rm', ...insecure, '--network', 'none', `${plain.host}/layered:latest`, 'sh', '-c',
      'cat /data/keep.txt; ls /data/gone.txt 2>&1; ls /data/dir; find / -xdev -type c 2>/dev/null | grep -v "^/dev/" | wc -l']);
    t.regex(r.stdout, /kept from layer 2/);
    t.regex(r.stdout, /gone\.txt: No such file/);
    t.regex(r.stdout, /^new\.txt$/m);
    t.notRegex(r.stdout, /old\.txt/);
    t.regex(r.stdout, /^0$/m, 'no whiteout devices left in the root filesystem');
  } finally {
    await vfs.cleanup();
  }
});
