import { InvalidArgumentError } from '../util/errors.js';

/**
 * A parsed image reference: [domain/]path[:tag][@digest], following the
 * grammar of github.com/distribution/reference as podman uses it.
 */
export interface ImageReference {
  /** Registry host[:port]; undefined for a short name ("busybox"). */
  domain?: string;
  /** Repository path without the domain ("library/busybox"). */
  path: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;

export function parseReference(input: string): ImageReference {
  const bad = (why: string) =>
    new InvalidArgumentError(`invalid reference format "${input}": ${why}`, { hint: 'use NAME[:TAG] or NAME@sha256:DIGEST, e.g. localhost/bb:latest' });
  if (input === '' || input.length > 255 + 128 + 72) throw bad('empty or too long');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('the digest must be sha256: followed by 64 hex digits');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`"${tag}" is not a valid tag`);
  }
  let domain: string | undefined;
  const firstSlash = rest.indexOf('/');
  if (firstSlash >= 0) {
    const first = rest.slice(0, firstSlash);
    // As docker: the first part is a registry when it has a dot or a port, or is localhost.
    if (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z]/.test(first)) {
      if (!DOMAIN.test(first)) throw bad(`"${first}" is not a valid registry host`);
      domain = first;
      rest = rest.slice(firstSlash + 1);
    }
  }
  if (rest === '') throw bad('the repository name is empty');
  // distribution/reference's NameTotalLengthMax: domain/path, without tag or digest.
  if ((domain ? domain.length + 1 : 0) + rest.length > 255) throw bad('the repository name must not be more than 255 characters');
  for (const comp of rest.split('/')) {
    if (!COMPONENT.test(comp)) throw bad('repository names must be lowercase letters, digits and separators (. _ __ -)');
  }
  return { domain, path: rest, tag, digest };
}

/** The repository part of a name: domain/path. */
export function repositoryName(ref: ImageReference): string {
  return ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
}

/** domain/path:tag or domain/path@digest, with :latest added when neither is given. */
export function formatReference(ref: ImageReference): string {
  const repo = repositoryName(ref);
  if (ref.digest) return ref.tag ? `${repo}:${ref.tag}@${ref.digest}` : `${repo}@${ref.digest}`;
  return `${repo}:${ref.tag ?? 'latest'}`;
}

/**
 * The name under which a locally created image (import, commit, build) is
 * stored: short names go under localhost/, as podman does.
 */
export function localImageName(input: string): string {
  const ref = parseReference(input);
  return formatReference(ref.domain ? ref : { ...ref, domain: 'localhost' });
}
