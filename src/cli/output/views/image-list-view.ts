import { imageRepoDigests, type ImageSummary } from '../../../engine/image/images.js';
import { humanSize, timeAgo } from '../humanize.js';

/**
 * The names `skiff images` prints a row for, as podman: each REPOSITORY:TAG;
 * an image named only by digest (pulled by digest) once per repository, its
 * tag <none>; a dangling image once (undefined).
 */
export function listedNames(names: string[]): Array<string | undefined> {
  const tagged = names.filter((n) => !n.includes('@'));
  if (tagged.length) return tagged;
  const byRepo = new Map(names.map((n) => [n.slice(0, n.indexOf('@')), n]));
  return byRepo.size ? [...byRepo.values()] : [undefined];
}

/** One row of `skiff images` per name (podman prints a row per repository:tag). */
export class ImageListView {
  constructor(private readonly image: ImageSummary, private readonly name: string | undefined, private readonly noTrunc = false) {}

  get Repository(): string {
    if (!this.name) return '<none>';
    const at = this.name.indexOf('@');
    return at >= 0 ? this.name.slice(0, at) : this.name.slice(0, this.name.lastIndexOf(':'));
  }
  get Tag(): string { return this.name && !this.name.includes('@') ? this.name.slice(this.name.lastIndexOf(':') + 1) : '<none>'; }
  get ID(): string { return this.noTrunc ? `sha256:${this.image.record.id}` : this.image.record.id.slice(0, 12); }
  get Digest(): string { return this.image.record.manifestDigest; }
  get Created(): string { return timeAgo(this.image.config.created ?? this.image.record.created); }
  get CreatedAt(): string { return this.image.config.created ?? this.image.record.created; }
  get Size(): string { return humanSize(this.image.record.size); }
  get Names(): string[] { return this.image.record.names; }
  get Dangling(): boolean { return this.image.record.names.length === 0; }

  toJSON(): Record<string, unknown> {
    return {
      Id: this.image.record.id,
      ParentId: '',
      RepoTags: this.image.record.names.filter((n) => !n.includes('@')),
      RepoDigests: imageRepoDigests(this.image.record),
      Size: this.image.record.size,
      SharedSize: 0,
      VirtualSize: this.image.record.size,
      Labels: this.image.config.config?.Labels ?? {},
      Containers: 0,
      Names: this.image.record.names,
      Digest: this.Digest,
      History: this.image.record.names,
      Created: Math.floor(Date.parse(this.CreatedAt) / 1000),
      CreatedAt: this.CreatedAt,
    };
  }
}

export const IMAGE_COLUMNS = [
  { header: 'REPOSITORY', field: 'Repository' },
  { header: 'TAG', field: 'Tag' },
  { header: 'IMAGE ID', field: 'ID' },
  { header: 'CREATED', field: 'Created' },
  { header: 'SIZE', field: 'Size' },
];

/** The columns of the default table; --digests adds DIGEST after TAG, as podman. */
export function imageColumns(options: { digests?: boolean } = {}): typeof IMAGE_COLUMNS {
  if (!options.digests) return IMAGE_COLUMNS;
  return [IMAGE_COLUMNS[0], IMAGE_COLUMNS[1], { header: 'DIGEST', field: 'Digest' }, ...IMAGE_COLUMNS.slice(2)];
}
