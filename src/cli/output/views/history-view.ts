import type { ImageHistoryEntry } from '../../../engine/image-manage.js';
import { humanSize, timeAgo } from '../humanize.js';

/** One row of `skiff history`, with podman's template fields. */
export class HistoryView {
  constructor(private readonly entry: ImageHistoryEntry, private readonly noTrunc = false) {}

  get ID(): string { return this.noTrunc || this.entry.id === '<missing>' ? this.entry.id : this.entry.id.slice(0, 12); }
  get Created(): string { return this.entry.created ? timeAgo(this.entry.created) : ''; }
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
