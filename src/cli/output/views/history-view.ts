import type { ImageHistoryEntry } from '../../../engine/image/manage.js';
import { humanSize, timeAgo } from '../humanize.js';

/**
 * One row of `skiff history`, with podman's template fields. With `human`
 * false (-H=false) dates are RFC 3339; sizes stay human, as podman's Size
 * ignores --human (cmd/podman/images/history.go).
 */
export class HistoryView {
  constructor(private readonly entry: ImageHistoryEntry, private readonly noTrunc = false, private readonly human = true) {}

  get ID(): string { return this.noTrunc || this.entry.id === '<missing>' ? this.entry.id : this.entry.id.slice(0, 12); }
  get Created(): string {
    if (!this.entry.created) return '';
    return this.human ? timeAgo(this.entry.created) : rfc3339(this.entry.created);
  }
  get CreatedSince(): string { return this.Created; }
  get CreatedAt(): string { return this.entry.created ?? ''; }
  get CreatedBy(): string {
    const by = this.entry.createdBy;
    return this.noTrunc || by.length <= 45 ? by : by.slice(0, 42) + '...';
  }
  get Size(): string { return humanSize(this.entry.size); }
  get Comment(): string { return this.entry.comment; }

  toJSON(): Record<string, unknown> {
    return { id: this.entry.id, created: this.entry.created, createdBy: this.entry.createdBy, size: this.entry.size, comment: this.entry.comment };
  }
}

export const HISTORY_COLUMNS = [
  { header: 'ID', field: 'ID' },
  { header: 'CREATED', field: 'Created' },
  { header: 'CREATED BY', field: 'CreatedBy' },
  { header: 'SIZE', field: 'Size' },
  { header: 'COMMENT', field: 'Comment' },
];

/** Go's time.RFC3339 layout of a UTC instant: whole seconds, `Z`. */
function rfc3339(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
