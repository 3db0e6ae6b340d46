import type { SystemDfReport } from '../../../engine/system/df.js';
import { humanDuration, humanSize } from '../humanize.js';

/** go-units HumanSize as podman's df prints sizes: four significant digits, no space ("1.998MB", "0B"). */
export function goHumanSize(bytes: number): string {
  return humanSize(bytes, true);
}

/** One line of `system df`: podman's dfSummary (template fields .Type .Total .Active .Size .Reclaimable). */
export class DfSummaryView {
  constructor(readonly Type: string, readonly Total: number, readonly Active: number, readonly RawSize: number, readonly RawReclaimable: number) {}

  get Size(): string { return goHumanSize(this.RawSize); }
  get Reclaimable(): string {
    const percent = this.RawSize > 0 ? Math.round((this.RawReclaimable / this.RawSize) * 100) : 0;
    return `${goHumanSize(this.RawReclaimable)} (${percent}%)`;
  }

  toJSON() {
    return { Type: this.Type, Total: this.Total, Active: this.Active, Size: this.RawSize, Reclaimable: this.RawReclaimable };
  }
}

export const DF_COLUMNS = [
  { header: 'TYPE', field: 'Type' },
  { header: 'TOTAL', field: 'Total' },
  { header: 'ACTIVE', field: 'Active' },
  { header: 'SIZE', field: 'Size' },
  { header: 'RECLAIMABLE', field: 'Reclaimable' },
];

/** The three summary lines, summed as podman's printSummary does. */
export function dfSummary(report: SystemDfReport): DfSummaryView[] {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const { images, containers, volumes } = report;
  return [
    new DfSummaryView('Images', images.length, images.filter((i) => i.containers > 0).length, sum(images.map((i) => i.size)), sum(images.filter((i) => i.containers < 1).map((i) => i.size))),
    new DfSummaryView('Containers', containers.length, containers.filter((c) => c.status === 'running').length, sum(containers.map((c) => c.rwSize)), sum(containers.filter((c) => c.status !== 'running').map((c) => c.rwSize))),
    new DfSummaryView('Local Volumes', volumes.length, sum(volumes.map((v) => v.links)), sum(volumes.map((v) => v.size)), sum(volumes.map((v) => v.reclaimableSize))),
  ];
}

/** `system df -v`'s three tables as rows of cells, headers first. */
export function dfVerboseTables(report: SystemDfReport, now = Date.now()): { title: string; rows: string[][] }[] {
  const ago = (iso: string) => humanDuration(now - Date.parse(iso));
  return [
    {
      title: 'Images space usage:',
      rows: [
        ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'],
        ...report.images.map((i) => [i.repository, i.tag, i.id.slice(0, 12), ago(i.created), goHumanSize(i.size), goHumanSize(i.sharedSize), goHumanSize(i.uniqueSize), String(i.containers)]),
      ],
    },
    {
      title: 'Containers space usage:',
      rows: [
        ['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'],
        ...report.containers.map((c) => [c.id.slice(0, 12), c.imageId.slice(0, 12), c.command.join(' '), String(c.localVolumes), goHumanSize(c.rwSize), ago(c.created), c.status, c.name]),
      ],
    },
    {
      title: 'Local Volumes space usage:',
      rows: [['VOLUME NAME', 'LINKS', 'SIZE'], ...report.volumes.map((v) => [v.name, String(v.links), goHumanSize(v.size)])],
    },
  ];
}
