import { randomBytes } from 'node:crypto';

/** A new 64-hex id, as podman makes for containers. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

const ADJECTIVES = ['admiring', 'brave', 'calm', 'clever', 'eager', 'festive', 'gallant', 'happy', 'jolly', 'keen', 'lucid', 'modest', 'nifty', 'quirky', 'serene', 'sharp', 'sleepy', 'stoic', 'tender', 'vibrant', 'wizardly', 'zealous'];
const NAMES = ['albattani', 'babbage', 'curie', 'darwin', 'euclid', 'fermat', 'galileo', 'hopper', 'hypatia', 'johnson', 'kepler', 'lovelace', 'meitner', 'noether', 'pascal', 'ritchie', 'shannon', 'tesla', 'turing', 'wright'];

/** A random adjective_surname name, as docker and podman generate. */
export function randomName(): string {
  const pick = (list: string[]) => list[randomBytes(1)[0] % list.length];
  return `${pick(ADJECTIVES)}_${pick(NAMES)}`;
}

/** Container names as podman accepts them. */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
