import { createHash } from 'node:crypto';
// A real OCI registry for pull/push tests: Debian's docker-registry
// (distribution 2.8) on 127.0.0.1 with a free port, run as the current user
// with its storage in a fresh temp dir; optionally with TLS (a self-signed
// cert for 127.0.0.1 and localhost) and htpasswd basic auth. Images get in
// with skopeo from OCI layouts (see test/fixtures/oci-image.ts).
//   let reg: TestRegistry;
//   test.before(async () => { reg = await startRegistry({ tls: true }); });
//   test.after.always(() => reg?.stop());
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { freePort, sleep } from './skiff.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

const READY_TIMEOUT_MS = 15_000;
const PORT_ATTEMPTS = 5;
const MAX_LOG = 64 * 1024;

export interface RegistryAuth {
  user: string;
  password: string;
}

export interface RegistryOptions {
  /** Serve HTTPS with a self-signed cert for 127.0.0.1 and localhost. */
  tls?: boolean;
  /** Require basic auth (htpasswd, bcrypt) for every request. */
  auth?: RegistryAuth;
  /**
   * With tls: require a client certificate signed by a CA made for this
   * registry (distribution's http.tls.clientcas). certDir then also holds
   * client.cert and client.key; caOnlyCertDir holds ca.crt alone.
   */
  clientAuth?: boolean;
}

export interface TestRegistry {
  /** '127.0.0.1:PORT', the registry part of image references. */
  host: string;
  port: number;
  /** 'http://127.0.0.1:PORT' or 'https://127.0.0.1:PORT'. */
  url: string;
  tls: boolean;
  /** PEM of the self-signed cert (it is its own CA); only with tls. */
  caCertPath?: string;
  /** A dir holding just ca.crt (with clientAuth also client.cert and client.key), as containers-certs.d and --cert-dir expect; only with tls. */
  certDir?: string;
  /** With clientAuth: a dir holding just ca.crt, the server's CA without a client certificate. */
  caOnlyCertDir?: string;
  /** With clientAuth: the PEM files of the client certificate the registry accepts. */
  clientCert?: { certPath: string; keyPath: string };
  auth?: RegistryAuth;
  /** The registry's private temp dir (config, storage, certs); removed by stop(). */
  dir: string;
  /** What the registry wrote so far (stdout and stderr, the last 64 KiB). */
  log(): string;
  /** Kills the registry and removes its temp dir. Never throws; safe to call twice. */
  stop(): Promise<void>;
}

export interface RegistryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RegistryRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Send basic auth: true uses the registry's own credentials. */
  auth?: boolean | RegistryAuth;
  timeout?: number;
  body?: Buffer;
}

// Registries left running when the test process ends anyway are killed here.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) {
      try {
        child.kill('SIGKILL');
      } catch {
        // gone
      }
    }
  });
}

/** Starts a registry; resolves once GET /v2/ answers (200, or 401 with auth). */
export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const tls = Boolean(opts.tls);
  const dir = await mkdtemp(join(tmpdir(), 'skreg-'));
  try {
    const storage = join(dir, 'storage');
    await mkdir(storage, { recursive: true });

    let certDir: string | undefined;
    let caCertPath: string | undefined;
    const certPath = join(dir, 'server.crt');
    const keyPath = join(dir, 'server.key');
    if (tls) {
      await execa(
        'openssl',
        [
          'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
          '-keyout', keyPath, '-out', certPath,
          '-subj', '/CN=127.0.0.1',
          '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
          '-days', '2',
        ],
        { stdin: 'ignore', timeout: 30_000 },
      );
      certDir = join(dir, 'certs.d');
      await mkdir(certDir);
      caCertPath = join(certDir, 'ca.crt');
      await copyFile(certPath, caCertPath);
    }

    let clientAuth: { caPath: string; caOnlyCertDir: string; certPath: string; keyPath: string } | undefined;
    if (tls && opts.clientAuth) {
      clientAuth = await makeClientCert(dir);
      await copyFile(clientAuth.certPath, join(certDir!, 'client.cert'));
      await copyFile(clientAuth.keyPath, join(certDir!, 'client.key'));
      await mkdir(clientAuth.caOnlyCertDir);
      await copyFile(certPath, join(clientAuth.caOnlyCertDir, 'ca.crt'));
    }

    let htpasswdPath: string | undefined;
    if (opts.auth) {
      htpasswdPath = join(dir, 'htpasswd');
      await writeFile(htpasswdPath, await htpasswdLine(opts.auth), { mode: 0o600 });
    }

    let lastError: Error | undefined;
    for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
      const port = await freePort();
      const host = `127.0.0.1:${port}`;
      const configPath = join(dir, 'config.yml');
      await writeFile(
        configPath,
        registryConfig({ port, storage, tls: tls ? { certPath, keyPath, clientCaPath: clientAuth?.caPath } : undefined, htpasswdPath }),
      );
      const reg: TestRegistry = {
        host,
        port,
        url: `${tls ? 'https' : 'http'}://${host}`,
        tls,
        ...(caCertPath ? { caCertPath, certDir } : {}),
        ...(clientAuth ? { caOnlyCertDir: clientAuth.caOnlyCertDir, clientCert: { certPath: clientAuth.certPath, keyPath: clientAuth.keyPath } } : {}),
        ...(opts.auth ? { auth: { ...opts.auth } } : {}),
        dir,
        log: () => '',
        stop: async () => undefined,
      };
      const started = await launch(reg, configPath);
      if (started.ok) return reg;
      lastError = started.error;
      if (!started.portTaken) break;
    }
    throw lastError ?? new Error('docker-registry did not start');
  } catch (err) {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

type LaunchResult = { ok: true } | { ok: false; portTaken: boolean; error: Error };

async function launch(reg: TestRegistry, configPath: string): Promise<LaunchResult> {
  // REGISTRY_* variables override the config file: keep the caller's out.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('REGISTRY_')) env[k] = v;
  const child = spawn(REGISTRY_BIN, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: reg.dir });
  installExitHook();
  running.add(child);
  let output = '';
  // Keep the last MAX_LOG characters: the end tells why it failed.
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 2 * MAX_LOG) output = output.slice(-MAX_LOG);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let exited: string | undefined;
  let spawnError: Error | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      exited = `failed to start: ${err.message}`;
      resolve();
    });
    child.once('exit', (code, signal) => {
      exited ??= signal ? `was killed by ${signal}` : `exited ${code}`;
      resolve();
    });
  }).finally(() => running.delete(child));

  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      if (exited === undefined) {
        child.kill('SIGTERM');
        const done = await Promise.race([exitPromise.then(() => true), sleep(5_000).then(() => false)]);
        if (!done) {
          child.kill('SIGKILL');
          await exitPromise;
        }
      }
    }
    await rm(reg.dir, { recursive: true, force: true, maxRetries: 3 }).catch((err: Error) => {
      console.log(`registry cleanup: cannot remove ${reg.dir}: ${err.message}`);
    });
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProbe = 'no answer yet';
  while (exited === undefined && Date.now() < deadline) {
    try {
      const res = await registryRequest(reg, '/v2/', { timeout: 2_000 });
      if (res.status === 200 || res.status === 401) {
        reg.log = () => output.slice(-MAX_LOG);
        reg.stop = stop;
        return { ok: true };
      }
      lastProbe = `GET /v2/ answered ${res.status}`;
    } catch (err) {
      lastProbe = `GET /v2/: ${(err as Error).message}`;
    }
    await Promise.race([sleep(100), exitPromise]);
  }

  const why = exited ?? `did not answer within ${READY_TIMEOUT_MS} ms (${lastProbe})`;
  if (exited === undefined) {
    child.kill('SIGKILL');
    await exitPromise;
  } else {
    await exitPromise;
  }
  // Let the pipes drain so the error shows the registry's last words.
  await sleep(20);
  const portTaken = /address already in use/i.test(output);
  return {
    ok: false,
    portTaken,
    error: spawnError && (spawnError as NodeJS.ErrnoException).code === 'ENOENT'
      ? new Error(`${REGISTRY_BIN} not found: install docker-registry (apt-get install docker-registry)`)
      : new Error(`docker-registry on ${reg.host} ${why}\n--- config ---\n${safeRead(configPath)}--- registry output ---\n${output.slice(-MAX_LOG)}`),
  };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '(unreadable)\n';
  }
}

function registryConfig(c: {
  port: number;
  storage: string;
  tls?: { certPath: string; keyPath: string; clientCaPath?: string };
  htpasswdPath?: string;
}): string {
  // JSON strings are valid YAML double-quoted scalars.
  const q = (s: string) => JSON.stringify(s);
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(c.storage)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${q(`127.0.0.1:${c.port}`)}`,
    `  secret: ${q(`skiff-test-${Math.random().toString(36).slice(2)}`)}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
  ];
  if (c.tls) {
    lines.push('  tls:', `    certificate: ${q(c.tls.certPath)}`, `    key: ${q(c.tls.keyPath)}`);
    if (c.tls.clientCaPath) lines.push('    clientcas:', `      - ${q(c.tls.clientCaPath)}`);
  }
  if (c.htpasswdPath) {
    lines.push('auth:', '  htpasswd:', '    realm: skiff-test', `    path: ${q(c.htpasswdPath)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A CA for client certificates and one client certificate it signed, made with openssl in `dir`. */
async function makeClientCert(dir: string): Promise<{ caPath: string; caOnlyCertDir: string; certPath: string; keyPath: string }> {
  const caPath = join(dir, 'client-ca.crt');
  const caKey = join(dir, 'client-ca.key');
  const keyPath = join(dir, 'client.key');
  const csr = join(dir, 'client.csr');
  const certPath = join(dir, 'client.cert');
  const openssl = (args: string[]) => execa('openssl', args, { stdin: 'ignore', timeout: 30_000 });
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caPath, '-subj', '/CN=skiff test client CA', '-days', '2']);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', csr, '-subj', '/CN=skiff test client']);
  await openssl(['x509', '-req', '-in', csr, '-CA', caPath, '-CAkey', caKey, '-CAcreateserial', '-out', certPath, '-days', '2']);
  return { caPath, caOnlyCertDir: join(dir, 'ca-only.d'), certPath, keyPath };
}

/** One bcrypt htpasswd line from apache2-utils' htpasswd. */
async function htpasswdLine(auth: RegistryAuth): Promise<string> {
  try {
    const { stdout } = await execa('htpasswd', ['-Bbn', auth.user, auth.password], {
      stdin: 'ignore',
      timeout: 30_000,
      stripFinalNewline: false,
    });
    const line = String(stdout).trim();
    if (!line.startsWith(`${auth.user}:$2`)) throw new Error(`htpasswd printed no bcrypt hash: ${JSON.stringify(line)}`);
    return `${line}\n`;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new Error('htpasswd not found: install apache2-utils (apt-get install apache2-utils)');
    }
    throw err;
  }
}

/** The Basic authorization header value for credentials. */
export function basicAuth(auth: RegistryAuth): string {
  return `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
}

/**
 * One request to the registry (http or https trusting only its CA); never
 * follows redirects. `path` starts with /v2/.
 */
export function registryRequest(reg: TestRegistry, path: string, opts: RegistryRequestOptions = {}): Promise<RegistryResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const creds = opts.auth === true ? reg.auth : opts.auth || undefined;
  if (opts.auth === true && !reg.auth) return Promise.reject(new Error('registryRequest: auth requested but the registry has none'));
  if (creds) headers.Authorization = basicAuth(creds);
  if (opts.body) headers['Content-Length'] = String(opts.body.length);
  const url = new URL(path, reg.url);
  const common = { method: opts.method ?? 'GET', headers, timeout: opts.timeout ?? 10_000 };
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    };
    const req = reg.tls
      ? httpsRequest(url, {
        ...common,
        ca: readFileSync(reg.caCertPath!),
        ...(reg.clientCert ? { cert: readFileSync(reg.clientCert.certPath), key: readFileSync(reg.clientCert.keyPath) } : {}),
      }, onResponse)
      : httpRequest(url, common, onResponse);
    req.on('timeout', () => req.destroy(new Error(`${common.method} ${url.href} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/**
 * Uploads `bytes` as a blob exactly as they are (the registry checks only
 * the digest): crafted layers and configs for bad-content tests. Returns
 * the descriptor to put in a manifest.
 */
export async function uploadRawBlob(reg: TestRegistry, repo: string, bytes: Buffer, mediaType: string): Promise<{ mediaType: string; digest: string; size: number }> {
  const start = await registryRequest(reg, `/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  const location = new URL(String(start.headers.location), reg.url);
  location.searchParams.set('digest', sha256(bytes));
  const put = await registryRequest(reg, location.pathname + location.search, { method: 'PUT', body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`blob upload failed: ${put.status}`);
  return { mediaType, digest: sha256(bytes), size: bytes.length };
}

/** Puts `manifest` (bytes as they are) under `repo:tag`. */
export async function putRawManifest(reg: TestRegistry, repo: string, tag: string, manifest: Buffer, mediaType: string): Promise<void> {
  const put = await registryRequest(reg, `/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': mediaType } });
  if (put.status !== 201) throw new Error(`manifest put failed: ${put.status} ${put.body.toString()}`);
}

export interface PushOptions {
  /** Copy every image of an index (skopeo --all); without it skopeo copies only the host platform's image. */
  all?: boolean;
  /** The tag inside the layout (its org.opencontainers.image.ref.name); default 'latest'. */
  tag?: string;
  /** Override the registry's credentials (or false to push anonymously). */
  creds?: RegistryAuth | false;
}

/**
 * Pushes `oci:LAYOUTDIR:TAG` to `docker://HOST/REF` with skopeo, keeping
 * every digest (no recompression, no manifest conversion).
 */
export async function pushOciLayout(reg: TestRegistry, layoutDir: string, ref: string, opts: PushOptions = {}): Promise<void> {
  const hermetic = join(reg.dir, 'skopeo');
  await mkdir(hermetic, { recursive: true });
  const registriesConf = join(hermetic, 'registries.conf');
  await writeFile(registriesConf, 'unqualified-search-registries = []\n');
  const creds = opts.creds === false ? undefined : (opts.creds ?? reg.auth);
  const args = [
    '--insecure-policy',
    'copy',
    '--preserve-digests',
    '--retry-times', '2',
    ...(opts.all ? ['--all'] : []),
    ...(reg.tls ? [`--dest-cert-dir=${reg.certDir!}`, '--dest-tls-verify=true'] : ['--dest-tls-verify=false']),
    ...(creds ? ['--dest-creds', `${creds.user}:${creds.password}`] : ['--dest-no-creds']),
    `oci:${layoutDir}:${opts.tag ?? 'latest'}`,
    `docker://${reg.host}/${ref}`,
  ];
  const result = await execa('skopeo', args, {
    reject: false,
    stdin: 'ignore',
    timeout: 90_000,
    env: {
      CONTAINERS_REGISTRIES_CONF: registriesConf,
      REGISTRY_AUTH_FILE: join(hermetic, 'auth.json'),
      TMPDIR: hermetic,
    },
  });
  if (result.exitCode !== 0 || result.timedOut) {
    const shown = ['skopeo', ...args].join(' ');
    throw new Error(
      `skopeo copy ${result.timedOut ? 'timed out' : `exited ${result.exitCode}`}\n$ ${shown.replace(/(--dest-creds )\S+/, '$1***')}\n` +
        `--- stdout ---\n${String(result.stdout ?? '')}\n--- stderr ---\n${String(result.stderr ?? '')}\n` +
        `--- registry output ---\n${reg.log()}`,
    );
  }
}
