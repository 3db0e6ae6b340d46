/**
 * `skiff images --filter` and `--sort`, as podman's: pure functions over the
 * listed images (no store access), so they are unit-tested directly.
 *
 * Filters: dangling=true|false, reference=PATTERN (a glob, as Go's
 * path.Match, on the name with and without its tag, fully qualified or
 * familiar), label=KEY or label=KEY=VALUE, before=IMAGE, since=IMAGE.
 * Different keys must all match; several reference= filters match when any
 * does, several label= filters when all do.
 */
import { parseReference, repositoryName } from '../../image/reference.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { NoSuchImageError } from '../errors.js';
import { matchImage, type ImageSummary } from './images.js';

export const IMAGE_FILTER_KEYS = ['dangling', 'reference', 'label', 'before', 'since'] as const;
export type ImageFilterKey = (typeof IMAGE_FILTER_KEYS)[number];

export interface ImageFilter {
  key: ImageFilterKey;
  value: string;
}

export const IMAGE_SORT_KEYS = ['created', 'id', 'repository', 'size', 'tag'] as const;
export type ImageSortKey = (typeof IMAGE_SORT_KEYS)[number];

/** Parses `--filter` values; an unknown key or a malformed value is an error (exit 125). */
export function parseImageFilters(specs: string[]): ImageFilter[] {
  return specs.map((spec) => {
    const eq = spec.indexOf('=');
    const key = eq < 0 ? spec : spec.slice(0, eq);
    if (!(IMAGE_FILTER_KEYS as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`invalid image filter "${key}"`, { hint: `filters are ${IMAGE_FILTER_KEYS.map((k) => `${k}=`).join(', ')}` });
    }
    if (eq < 0) throw new InvalidArgumentError(`invalid image filter "${spec}": expected ${key}=VALUE`);
    const value = spec.slice(eq + 1);
    if (key === 'dangling' && value !== 'true' && value !== 'false') {
      throw new InvalidArgumentError(`invalid image filter "${spec}": dangling must be true or false`);
    }
    if (value === '') throw new InvalidArgumentError(`invalid image filter "${spec}": the value is empty`);
    return { key: key as ImageFilterKey, value };
  });
}

/**
 * The images that pass every filter. `all` is the whole store: before= and
 * since= images are looked up in it (an unknown one is an error).
 */
export function filterImages(images: ImageSummary[], filters: ImageFilter[], all: ImageSummary[] = images): ImageSummary[] {
  if (filters.length === 0) return images;
  const byKey = (key: ImageFilterKey) => filters.filter((f) => f.key === key).map((f) => f.value);
  const checks: Array<(image: ImageSummary) => boolean> = [];

  for (const value of byKey('dangling')) {
    const want = value === 'true';
    checks.push((i) => (i.record.names.length === 0) === want);
  }
  const references = byKey('reference');
  if (references.length) checks.push((i) => references.some((pattern) => referenceMatches(i, pattern, all)));
  for (const value of byKey('label')) {
    const eq = value.indexOf('=');
    const key = eq < 0 ? value : value.slice(0, eq);
    checks.push((i) => {
      const labels = i.config.config?.Labels ?? {};
      if (!(key in labels)) return false;
      return eq < 0 || labels[key] === value.slice(eq + 1);
    });
  }
  for (const [key, older] of [['before', true], ['since', false]] as const) {
    for (const value of byKey(key)) {
      const found = matchImage(all.map((i) => i.record), value);
      if (!found) throw new NoSuchImageError(value);
      const at = createdTime(all.find((i) => i.record.id === found.id)!);
      checks.push((i) => (older ? createdTime(i) < at : createdTime(i) > at));
    }
  }
  return images.filter((i) => checks.every((check) => check(i)));
}

/** When an image was created: its config's `created`, else when it was stored (ms since the epoch). */
export function createdTime(image: ImageSummary): number {
  const t = Date.parse(image.config.created ?? image.record.created);
  return Number.isNaN(t) ? 0 : t;
}

/**
 * A reference= pattern matches an image named by it (as `skiff images NAME`
 * finds it), or matches as a glob one of each name's forms: repo:tag, repo,
 * the familiar forms without docker.io/library/, and the path without the
 * registry (`bb*` matches localhost/bb:latest).
 */
export function referenceMatches(image: ImageSummary, pattern: string, all: ImageSummary[] = [image]): boolean {
  if (matchImage(all.map((i) => i.record), pattern)?.id === image.record.id && !/[*?[\\]/.test(pattern)) return true;
  const glob = globToRegExp(pattern);
  for (const name of image.record.names) {
    let ref;
    try {
      ref = parseReference(name);
    } catch {
      continue;
    }
    const repo = repositoryName(ref);
    const suffix = ref.tag ? `:${ref.tag}` : '';
    const forms = [repo, ref.path];
    if (ref.domain === 'docker.io') forms.push(ref.path.replace(/^library\//, ''));
    if (forms.some((f) => glob.test(f) || glob.test(f + suffix))) return true;
  }
  return false;
}

/**
 * `skiff images IMAGE`: the image IMAGE names (id, name, digest reference),
 * or any image in a repository IMAGE names, short or full, with or without
 * tag (`layered`, `lookup/layered:v1` and `HOST/lookup/layered` all list
 * HOST/lookup/layered:v1), or a reference= glob.
 */
export function imageArgMatches(image: ImageSummary, arg: string, all: ImageSummary[] = [image]): boolean {
  if (referenceMatches(image, arg, all)) return true;
  let want;
  try {
    want = parseReference(arg);
  } catch {
    return false;
  }
  if (want.digest) return false;
  const wantRepo = repositoryName(want);
  return image.record.names.some((name) => {
    let ref;
    try {
      ref = parseReference(name);
    } catch {
      return false;
    }
    if (want.tag && ref.tag !== want.tag) return false;
    const repo = repositoryName(ref);
    if (want.domain) return repo === wantRepo;
    return repo.endsWith(`/${want.path}`) || repo.endsWith(`/library/${want.path}`);
  });
}

/**
 * Go's path.Match as a RegExp: `*` any run of non-/ characters, `?` one
 * non-/ character, `[...]` a class (`[^...]` negated), `\` escapes. A
 * malformed class matches its characters literally.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^') || body.startsWith('!');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^/' : ''}${body.replace(/[\]\\^]/g, (m) => '\\' + m)}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** One row of the listing: an image under one of its names (undefined: dangling). */
export interface ImageRow {
  image: ImageSummary;
  name?: string;
}

/**
 * Sorts rows as podman's --sort: created (newest first, the default), id,
 * repository, tag (each ascending; <none> as podman prints it), size
 * (smallest first). Stable, with newest-first as the tie-break.
 */
export function sortImageRows<R extends ImageRow>(rows: R[], key: ImageSortKey = 'created'): R[] {
  // A name by digest (REPOSITORY@DIGEST) has the tag <none>.
  const repo = (r: ImageRow) => (!r.name ? '<none>' : r.name.includes('@') ? r.name.slice(0, r.name.indexOf('@')) : r.name.slice(0, r.name.lastIndexOf(':')));
  const tag = (r: ImageRow) => (r.name && !r.name.includes('@') ? r.name.slice(r.name.lastIndexOf(':') + 1) : '<none>');
  const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const newest = (a: ImageRow, b: ImageRow) => createdTime(b.image) - createdTime(a.image);
  const compare: Record<ImageSortKey, (a: ImageRow, b: ImageRow) => number> = {
    created: newest,
    id: (a, b) => cmpStr(a.image.record.id, b.image.record.id),
    repository: (a, b) => cmpStr(repo(a), repo(b)),
    tag: (a, b) => cmpStr(tag(a), tag(b)),
    size: (a, b) => a.image.record.size - b.image.record.size,
  };
  const by = compare[key];
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => by(a.row, b.row) || newest(a.row, b.row) || a.index - b.index)
    .map((x) => x.row);
}

/**
 * The images `images` lists without -a: all but the intermediate ones, as
 * podman's: without a name, and the parent of another image (a step of a
 * build that later steps built on).
 */
export function withoutIntermediate(images: ImageSummary[]): ImageSummary[] {
  const parents = new Set(images.map((i) => i.record.buildCache?.parent).filter((p): p is string => Boolean(p)));
  return images.filter((i) => i.record.names.length > 0 || !parents.has(i.record.id));
}
