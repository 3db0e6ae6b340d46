import type { VolumeRecord } from '../../../engine/volume/volumes.js';

/** A UTC time as Go's time.Time prints in a template: `2024-05-01 10:00:00.123 +0000 UTC`. */
function goTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(iso);
  if (!m) return iso;
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]} ${m[2]}${fraction ? `.${fraction}` : ''} +0000 UTC`;
}

/** Go marshals a map with its keys sorted. */
function sortedKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A volume as `volume ls` and `volume inspect` templates see it: podman's
 * field names (.Name, .Driver, .Mountpoint, ...). Its JSON form is podman
 * 4.3's `volume inspect` document, keys in podman's order.
 */
export class VolumeView {
  constructor(private readonly volume: VolumeRecord, private readonly mountpoint: string) {}

  get Name(): string { return this.volume.name; }
  get Driver(): string { return this.volume.driver; }
  get Mountpoint(): string { return this.mountpoint; }
  get CreatedAt(): string { return goTime(this.volume.createdAt); }
  get Labels(): Record<string, string> { return this.volume.labels; }
  get Scope(): string { return 'local'; }
  get Options(): Record<string, string> { return this.volume.options; }
  get Anonymous(): boolean { return this.volume.anonymous; }
  get MountCount(): number { return this.volume.mountCount ?? 0; }
  get NeedsCopyUp(): boolean { return this.volume.needsCopyUp; }
  get NeedsChown(): boolean { return this.volume.needsChown; }

  toJSON(): Record<string, unknown> {
    return {
      Name: this.Name,
      Driver: this.Driver,
      Mountpoint: this.Mountpoint,
      CreatedAt: this.volume.createdAt,
      Labels: sortedKeys(this.Labels),
      Scope: this.Scope,
      Options: sortedKeys(this.Options),
      // podman omits these when false (omitempty).
      ...(this.volume.anonymous ? { Anonymous: true } : {}),
      MountCount: this.MountCount,
      ...(this.NeedsCopyUp ? { NeedsCopyUp: true } : {}),
      ...(this.NeedsChown ? { NeedsChown: true } : {}),
    };
  }
}

export const VOLUME_COLUMNS = [
  { header: 'DRIVER', field: 'Driver' },
  { header: 'VOLUME NAME', field: 'Name' },
];
