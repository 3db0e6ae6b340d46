import type { ContainerStatsReport } from '../../../engine/container/stats.js';
import { InvalidArgumentError } from '../../../util/errors.js';

/**
 * One frame of `skiff stats` as podman prints it: the default table, a
 * `table` template with its header row, a plain template per container, or
 * `json` (podman's own keys, not the template fields). Tables use podman's
 * tabwriter layout: columns at least 12 wide, two blanks between them.
 */
export async function renderStats(reports: ContainerStatsReport[], options: { format?: string; noTrunc?: boolean }): Promise<string> {
  const views = reports.map((r) => new ContainerStatsView(r, options.noTrunc));
  const format = options.format?.trim() ?? '';
  if (/^(json|\{\{\s*json\s*\.?\s*\}\})$/.test(format)) return JSON.stringify(views, null, 1) + '\n';
  const template = await import('../../../format/template.js');
  const compile = (source: string) => {
    try {
      return template.compileTemplate(source, { name: 'stats' });
    } catch (err) {
      if (err instanceof template.TemplateError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
  const run = (compiled: ReturnType<typeof compile>, data: unknown) => {
    try {
      return compiled.execute(data);
    } catch (err) {
      if (err instanceof template.TemplateError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
  if (format === '' || format === 'table') {
    const rows = views.map((v) => STATS_COLUMNS.map((c) => String(v[c.field as keyof ContainerStatsView])));
    return tabwriter([STATS_COLUMNS.map((c) => c.header), ...rows]);
  }
  if (template.isTableTemplate(format)) {
    const compiled = compile(template.stripTable(format));
    const lines = [run(compiled, { ...STATS_HEADERS }), ...views.map((v) => run(compiled, v))];
    return tabwriter(lines.map((l) => l.split('\t')));
  }
  const compiled = compile(format);
  return views.map((v) => run(compiled, v) + '\n').join('');
}

function tabwriter(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 12, cell.length + 2); });
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('').trimEnd() + '\n').join('');
}

/**
 * One row of `skiff stats`: getters are podman's template fields, the
 * formatted ones (.CPUPerc, .MemUsage, .NetIO...) as podman's stats command
 * prints them and the raw ones (.CPU, .MemLimit, .NetInput...) as numbers.
 */
export class ContainerStatsView {
  constructor(private readonly stats: ContainerStatsReport, private readonly noTrunc = false) {}

  get ID(): string { return this.noTrunc ? this.stats.ContainerID : this.stats.ContainerID.slice(0, 12); }
  get ContainerID(): string { return this.stats.ContainerID; }
  get Name(): string { return this.stats.Name; }
  get CPUPerc(): string { return percent(this.stats.CPU); }
  get AVGCPU(): string { return percent(this.stats.AvgCPU); }
  get CPU(): number { return this.stats.CPU; }
  get AvgCPU(): number { return this.stats.AvgCPU; }
  get CPUNano(): number { return this.stats.CPUNano; }
  get CPUSystemNano(): number { return this.stats.CPUSystemNano; }
  get SystemNano(): number { return this.stats.SystemNano; }
  /** podman fills it from cgroup v1 only. */
  get PerCPU(): number[] { return []; }
  get UpTime(): string { return goDuration(this.stats.CPUNano); }
  get Up(): string { return this.UpTime; }
  get Duration(): number { return this.stats.CPUNano; }
  get MemUsage(): string { return `${humanSize(this.stats.MemUsage)} / ${humanSize(this.stats.MemLimit)}`; }
  get MemUsageBytes(): string { return `${bytesSize(this.stats.MemUsage)} / ${bytesSize(this.stats.MemLimit)}`; }
  get MemLimit(): number { return this.stats.MemLimit; }
  get MemPerc(): string { return percent(this.stats.MemPerc); }
  get NetIO(): string { return `${humanSize(this.stats.NetInput)} / ${humanSize(this.stats.NetOutput)}`; }
  get NetInput(): number { return this.stats.NetInput; }
  get NetOutput(): number { return this.stats.NetOutput; }
  get BlockIO(): string { return `${humanSize(this.stats.BlockInput)} / ${humanSize(this.stats.BlockOutput)}`; }
  get BlockInput(): number { return this.stats.BlockInput; }
  get BlockOutput(): number { return this.stats.BlockOutput; }
  get PIDS(): string { return String(this.stats.PIDs); }
  get PIDs(): number { return this.stats.PIDs; }

  /** podman's `stats --format json` object. */
  toJSON(): Record<string, string> {
    return {
      id: this.ID,
      name: this.Name,
      cpu_time: this.UpTime,
      cpu_percent: this.CPUPerc,
      avg_cpu: this.AVGCPU,
      mem_usage: this.MemUsage,
      mem_percent: this.MemPerc,
      net_io: this.NetIO,
      block_io: this.BlockIO,
      pids: this.PIDS,
    };
  }
}

/** The default table: podman's columns in its order. */
export const STATS_COLUMNS = [
  { header: 'ID', field: 'ID' },
  { header: 'NAME', field: 'Name' },
  { header: 'CPU %', field: 'CPUPerc' },
  { header: 'MEM USAGE / LIMIT', field: 'MemUsage' },
  { header: 'MEM %', field: 'MemPerc' },
  { header: 'NET IO', field: 'NetIO' },
  { header: 'BLOCK IO', field: 'BlockIO' },
  { header: 'PIDS', field: 'PIDS' },
  { header: 'CPU TIME', field: 'UpTime' },
  { header: 'AVG CPU %', field: 'AVGCPU' },
];

/** Column titles of every field for `table` templates: podman's overrides, else the field name split at case changes. */
export const STATS_HEADERS: Record<string, string> = {
  ID: 'ID', ContainerID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', AVGCPU: 'AVG CPU %', CPU: 'CPU', AvgCPU: 'AVG CPU',
  CPUNano: 'CPU NANO', CPUSystemNano: 'CPU SYSTEM NANO', SystemNano: 'SYSTEM NANO', PerCPU: 'PER CPU', UpTime: 'CPU TIME',
  Up: 'UP', Duration: 'DURATION', MemUsage: 'MEM USAGE / LIMIT', MemUsageBytes: 'MEM USAGE / LIMIT', MemLimit: 'MEM LIMIT',
  MemPerc: 'MEM %', NetIO: 'NET IO', NetInput: 'NET INPUT', NetOutput: 'NET OUTPUT', BlockIO: 'BLOCK IO',
  BlockInput: 'BLOCK INPUT', BlockOutput: 'BLOCK OUTPUT', PIDS: 'PIDS', PIDs: 'PI DS',
};

/** podman's percentages: two decimals and a sign, "1.23%". */
export function percent(value: number): string {
  return `${value.toFixed(2)}%`;
}

/** go-units HumanSize: SI units, four significant digits, no space ("20.97MB", "8.2GB", "0B"). */
export function humanSize(bytes: number): string {
  return scaled(bytes, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB']);
}

/** go-units BytesSize: binary units, four significant digits ("19.07MiB"). */
export function bytesSize(bytes: number): string {
  return scaled(bytes, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB']);
}

function scaled(value: number, base: number, units: string[]): string {
  let i = 0;
  while (value >= base && i < units.length - 1) {
    value /= base;
    i++;
  }
  // Go's %.4g: four significant digits, trailing zeros dropped.
  return `${Number(value.toPrecision(4))}${units[i]}`;
}

/** A duration in ns as Go's time.Duration prints it: 0s, 1.5µs, 250ms, 3.21s, 1h2m3.5s. */
export function goDuration(ns: number): string {
  const total = BigInt(Math.round(ns));
  if (total === 0n) return '0s';
  const sign = total < 0n ? '-' : '';
  const abs = total < 0n ? -total : total;
  const fraction = (value: bigint, digits: number) => {
    const text = value.toString().padStart(digits, '0').replace(/0+$/, '');
    return text ? `.${text}` : '';
  };
  if (abs < 1000n) return `${sign}${abs}ns`;
  if (abs < 1_000_000n) return `${sign}${abs / 1000n}${fraction(abs % 1000n, 3)}µs`;
  if (abs < 1_000_000_000n) return `${sign}${abs / 1_000_000n}${fraction(abs % 1_000_000n, 6)}ms`;
  const hours = abs / 3_600_000_000_000n;
  const minutes = (abs / 60_000_000_000n) % 60n;
  const seconds = `${(abs / 1_000_000_000n) % 60n}${fraction(abs % 1_000_000_000n, 9)}s`;
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}
