import { promises as fsp, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { SkiffError } from '../../util/errors.js';
import { log } from '../../util/log.js';

/**
 * Where distributions keep their bundle of trusted CA certificates; the
 * same list Go's crypto/x509 (and so podman) reads on Linux.
 */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Gentoo, Arch
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/pki/tls/cacert.pem', // OpenELEC
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // CentOS, RHEL 7
  '/etc/ssl/cert.pem', // Alpine
];
const SYSTEM_DIRS = ['/etc/ssl/certs', '/etc/pki/tls/certs'];

let cached: string[] | undefined;

/**
 * The CA certificates a verified registry connection trusts, as podman's:
 * the system trust store, honouring SSL_CERT_FILE and SSL_CERT_DIR (a
 * colon-separated list) as Go does; Node's bundled Mozilla roots where the
 * system has none. Read on first use only, so commands that make no TLS
 * connection never pay for parsing a few hundred certificates.
 */
export function systemTrustRoots(): string[] {
  cached ??= loadSystemRoots();
  return cached;
}

function loadSystemRoots(): string[] {
  const pems: string[] = [];
  const files = process.env.SSL_CERT_FILE ? [process.env.SSL_CERT_FILE] : SYSTEM_BUNDLES;
  for (const file of files) {
    const text = readText(file);
    if (text === undefined) continue;
    pems.push(...splitPem(text));
    break; // the first bundle found is the whole store
  }
  // Go reads the certificate directories too. The default ones only matter
  // where no bundle was found (on Debian /etc/ssl/certs holds the bundle's
  // certificates again, one per file); directories named in SSL_CERT_DIR are
  // the user's choice and always read.
  const explicitDirs = process.env.SSL_CERT_DIR?.split(':').filter(Boolean);
  const dirs = explicitDirs ?? (pems.length === 0 ? SYSTEM_DIRS : []);
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (!/\.(pem|crt)$/.test(name)) continue;
      const text = readText(join(dir, name));
      if (text !== undefined) pems.push(...splitPem(text));
    }
  }
  return pems.length > 0 ? [...new Set(pems)] : [...tls.rootCertificates];
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The PEM certificate blocks in a text, in order; anything else is ignored. */
export function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** What a registry's certificate directory holds for its TLS connections. */
export interface CertDirTls {
  /** `*.crt`: CA certificates trusted besides the system's. */
  caCerts?: Buffer[];
  /** `NAME.cert` with `NAME.key`: the client certificate for registries that require one. */
  clientCert?: { cert: Buffer; key: Buffer };
}

/** A certificate directory that cannot be used: a `.cert` without its `.key`, or the reverse, or a bad pair. */
export class CertDirError extends SkiffError {
  constructor(message: string, cause?: unknown) {
    super('ECERTDIR', message, { cause, hint: 'a client certificate is NAME.cert with its key NAME.key; CA certificates end in .crt' });
  }
}

/**
 * Reads a --cert-dir or certs.d/HOST directory as containers/image does
 * (pkg/tlsclientconfig): `*.crt` are CA certificates, `NAME.cert` with
 * `NAME.key` a client certificate. Each `.cert` needs its `.key` and each
 * `.key` its `.cert`; the first pair by name is used. A missing directory
 * holds nothing.
 */
export async function readCertDir(dir: string | undefined): Promise<CertDirTls> {
  if (!dir) return {};
  let names: string[];
  try {
    names = (await fsp.readdir(dir)).sort();
  } catch {
    return {};
  }
  log.debug(`Looking for TLS certificates and private keys in ${dir}`);
  const has = new Set(names);
  const caNames = names.filter((n) => n.endsWith('.crt'));
  for (const name of names) {
    if (name.endsWith('.cert') && !has.has(`${name.slice(0, -5)}.key`)) {
      throw new CertDirError(`missing key ${name.slice(0, -5)}.key for client certificate ${name}. Note that CA certificates should use the extension .crt`);
    }
    if (name.endsWith('.key') && !has.has(`${name.slice(0, -4)}.cert`)) {
      throw new CertDirError(`missing client certificate ${name.slice(0, -4)}.cert for key ${name}`);
    }
  }
  const result: CertDirTls = {};
  if (caNames.length) result.caCerts = await Promise.all(caNames.map((n) => fsp.readFile(join(dir, n))));
  const certName = names.find((n) => n.endsWith('.cert'));
  if (certName) {
    const keyName = `${certName.slice(0, -5)}.key`;
    const [cert, key] = await Promise.all([fsp.readFile(join(dir, certName)), fsp.readFile(join(dir, keyName))]);
    try {
      // Fails now, naming the files, for unparsable PEM or a key that is not the certificate's.
      tls.createSecureContext({ cert, key });
    } catch (err) {
      throw new CertDirError(`cannot use client certificate ${join(dir, certName)} with key ${join(dir, keyName)}: ${(err as Error).message}`, err);
    }
    result.clientCert = { cert, key };
  }
  return result;
}
