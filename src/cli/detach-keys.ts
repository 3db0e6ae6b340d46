/**
 * Detach keys, as podman reads them: `--detach-keys ctrl-p,ctrl-q` (the
 * default), any single character or `ctrl-<x>` per comma-separated item,
 * and "" for none. The matcher runs on the attached CLI's stdin.
 */
import { InvalidArgumentError } from '../util/errors.js';
import type { DetachDetector } from '../engine/container/start.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** ctrl-@ is 0, ctrl-a..ctrl-z are 1..26, then ctrl-[ ctrl-\ ctrl-] ctrl-^ ctrl-_ (moby/term's ASCII table). */
const CONTROL_NAMES = ['@', ...'abcdefghijklmnopqrstuvwxyz', '[', '\\', ']', '^', '_'].map((c) => `ctrl-${c}`);

/**
 * The bytes a detach-keys spec stands for; empty for "" (detaching is off).
 * Throws InvalidArgumentError with podman's wording for anything else.
 */
export function parseDetachKeys(spec: string): Buffer {
  if (spec === '') return Buffer.alloc(0);
  const bytes: number[] = [];
  for (const key of spec.split(',')) {
    // A single byte stands for itself; podman's check counts bytes too.
    if (Buffer.byteLength(key) === 1) {
      bytes.push(key.charCodeAt(0));
      continue;
    }
    const code = CONTROL_NAMES.indexOf(key);
    if (code < 0) throw new InvalidArgumentError(`invalid detach keys: Unknown character: '${key}'`);
    bytes.push(code);
  }
  return Buffer.from(bytes);
}

/**
 * Watches input for the detach sequence. Bytes that may begin the sequence
 * are held back until it is complete (then they are dropped: the container
 * never sees them) or broken (then they are passed on, in order).
 */
export class DetachKeyMatcher implements DetachDetector {
  private held: number[] = [];

  constructor(private readonly keys: Buffer) {}

  feed(chunk: Buffer): { pass: Buffer; detached: boolean } {
    if (this.keys.length === 0) return { pass: chunk, detached: false };
    const pass: number[] = [];
    for (const byte of chunk) {
      this.held.push(byte);
      // Drop bytes from the front until what is held is a prefix of the keys again.
      while (this.held.length > 0 && !this.isPrefix(this.held)) pass.push(this.held.shift()!);
      if (this.held.length === this.keys.length) {
        this.held = [];
        return { pass: Buffer.from(pass), detached: true };
      }
    }
    return { pass: Buffer.from(pass), detached: false };
  }

  private isPrefix(bytes: number[]): boolean {
    return bytes.every((b, i) => this.keys[i] === b);
  }
}
