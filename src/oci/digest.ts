/**
 * Content digests (`algorithm:hex`), as used by the OCI image-spec and
 * distribution-spec. skiff only supports sha256, which is what every
 * registry and image in practice uses.
 */
import { createHash } from 'node:crypto';

/** A digest string such as `sha256:e3b0c442...`. */
export type Digest = string;

// The image-spec only allows lowercase hex for sha256 (descriptor.md, "Digests").
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Thrown for a string that is not a valid `sha256:<64 hex>` digest. Extends
 * plain `Error` because src/oci depends on nothing else in skiff; callers
 * wrap it into their own error type.
 */
export class InvalidDigestError extends Error {
  /** The rejected input. */
  readonly digest: string;

  constructor(digest: string) {
    super(`invalid digest ${JSON.stringify(digest)}: expected sha256:<64 lowercase hex>`);
    this.name = 'InvalidDigestError';
    this.digest = digest;
  }
}

/**
 * Validates `s` as a `sha256:<64 hex>` digest and returns it unchanged.
 *
 * @throws InvalidDigestError when `s` is not one.
 */
export function parseDigest(s: string): Digest {
  if (!SHA256_DIGEST.test(s)) throw new InvalidDigestError(s);
  return s;
}

/** Returns true when `s` is a string holding a valid `sha256:<64 hex>` digest. */
export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && SHA256_DIGEST.test(s);
}

/** Computes the sha256 digest of `data` (strings are hashed as UTF-8). */
export function sha256Digest(data: Buffer | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Returns the hex part of a digest (what blob stores use as a file name).
 *
 * @throws InvalidDigestError when `d` is not a valid digest.
 */
export function digestHex(d: Digest): string {
  return parseDigest(d).slice('sha256:'.length);
}
