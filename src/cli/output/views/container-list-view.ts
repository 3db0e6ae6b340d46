import type { ContainerInfo } from '../../../engine/container/record.js';
import type { ContainerSize } from '../../../engine/container/size.js';
import { portsToString } from '../../../engine/container/port.js';
import { log } from '../../../util/log.js';
import { humanDuration, humanSize, timeAgo } from '../humanize.js';

/**
 * One row of `skiff ps`: getters are podman's template fields (.ID, .Names,
 * .Status, ...); toJSON is podman's `ps --format json` object.
 */
export class ContainerListView {
  /** `size`: measured only for `ps --size`. */
  constructor(private readonly info: ContainerInfo, private readonly noTrunc = false, private readonly size?: ContainerSize) {}

  get ID(): string { return this.noTrunc ? this.info.record.id : this.info.record.id.slice(0, 12); }
  get Names(): string { return this.info.record.name; }
  get Image(): string { return this.info.record.image.name; }
  get ImageID(): string { return this.info.record.image.id; }
  get Command(): string {
    const cmd = [...this.info.record.entrypoint, ...this.info.record.cmd].join(' ');
    return this.noTrunc || cmd.length <= 20 ? cmd : cmd.slice(0, 17) + '...';
  }
  get CreatedAt(): string { return this.info.record.created; }
  get Created(): string { return timeAgo(this.info.record.created); }
  get RunningFor(): string { return timeAgo(this.info.record.created); }
  get State(): string { return this.info.state.status; }
  get Status(): string {
    const s = this.info.state;
    if (s.status === 'running') return `Up ${humanDuration(Date.now() - Date.parse(s.startedAt ?? this.info.record.created))} ago`;
    if (s.status === 'exited' || s.status === 'stopped') return `Exited (${s.exitCode ?? 0}) ${timeAgo(s.finishedAt ?? this.info.record.created)}`;
    // podman 4's ps capitalises the other states.
    if (s.status === 'paused') return 'Paused';
    return 'Created';
  }
  get Ports(): string { return portsToString(this.info.record.ports ?? []); }
  get ExitCode(): number { return this.info.state.exitCode ?? 0; }
  get Pid(): number { return this.info.state.status === 'running' || this.info.state.status === 'paused' ? this.info.state.pid ?? 0 : 0; }
  get Labels(): Record<string, string> { return this.info.record.spec.labels; }
  get AutoRemove(): boolean { return this.info.record.autoRemove; }
  /** podman's `12B (virtual 1.98MB)`: the writable layer, then the image's size (RootFsSize, not the sum). */
  get Size(): string {
    if (!this.size) {
      // podman's words, and like podman an empty field rather than a failure.
      log.error('Size format requires --size option');
      return '';
    }
    const compact = (bytes: number) => humanSize(bytes).replace(' ', '');
    return `${compact(this.size.rwSize)} (virtual ${compact(this.size.rootFsSize)})`;
  }

  toJSON(): Record<string, unknown> {
    const s = this.info.state;
    const unix = (iso?: string) => (iso ? Math.floor(Date.parse(iso) / 1000) : -62135596800);
    return {
      AutoRemove: this.AutoRemove,
      Command: [...this.info.record.entrypoint, ...this.info.record.cmd],
      CreatedAt: this.Created,
      Exited: s.status === 'exited',
      ExitedAt: unix(s.finishedAt),
      ExitCode: this.ExitCode,
      Id: this.info.record.id,
      Image: this.Image,
      ImageID: this.ImageID,
      IsInfra: false,
      Labels: Object.keys(this.Labels).length ? this.Labels : null,
      Mounts: [],
      Names: [this.Names],
      Namespaces: {},
      Networks: [],
      Pid: this.Pid,
      Pod: '',
      PodName: '',
      Ports: this.info.record.ports?.length
        ? this.info.record.ports.map((m) => ({ host_ip: m.hostIp, container_port: m.containerPort, host_port: m.hostPort, range: m.range, protocol: m.protocol }))
        : null,
      Size: this.size ? { rootFsSize: this.size.rootFsSize, rwSize: this.size.rwSize } : null,
      StartedAt: unix(s.startedAt),
      State: s.status,
      Status: this.Status,
      Created: unix(this.info.record.created),
    };
  }
}

export const CONTAINER_COLUMNS = [
  { header: 'CONTAINER ID', field: 'ID' },
  { header: 'IMAGE', field: 'Image' },
  { header: 'COMMAND', field: 'Command' },
  { header: 'CREATED', field: 'Created' },
  { header: 'STATUS', field: 'Status' },
  { header: 'PORTS', field: 'Ports' },
  { header: 'NAMES', field: 'Names' },
];

/** The columns of `ps --size`. */
export const CONTAINER_SIZE_COLUMNS = [...CONTAINER_COLUMNS, { header: 'SIZE', field: 'Size' }];
