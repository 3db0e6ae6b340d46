import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../../util/errors.js';
import { sleep } from '../../util/fs.js';
import type { EngineContext } from '../context.js';
import { NoSuchContainerError } from '../errors.js';
import { listContainers, resolveContainer, type ContainerInfo } from './record.js';
import { containerPids } from './top.js';

export interface ContainerStatsOptions {
  /** Every container, running or not (those not running show zeros). */
  all?: boolean;
  /** The container created last, whatever its state. */
  latest?: boolean;
  /** Names or ids; none means every running container. */
  containers?: string[];
}

/** Where a container's figures came from: its own cgroup v2, or its processes in /proc. */
export type StatsSource = 'cgroup' | 'proc' | 'none';

/** One container's figures, named as podman's define.ContainerStats (zeros for a container that is not running). */
export interface ContainerStatsReport {
  ContainerID: string;
  Name: string;
  /** CPU % over the last interval (100 = one CPU busy). */
  CPU: number;
  /** CPU % since the container started. */
  AvgCPU: number;
  /** CPU time used, in ns (podman's UpTime and Duration). */
  CPUNano: number;
  CPUSystemNano: number;
  /** When the sample was taken, ns since the epoch. */
  SystemNano: number;
  MemUsage: number;
  MemLimit: number;
  MemPerc: number;
  NetInput: number;
  NetOutput: number;
  BlockInput: number;
  BlockOutput: number;
  PIDs: number;
  source: StatsSource;
}

/** Raw counters of one running container at one moment. */
export interface StatsSample {
  /** ns since the epoch. */
  at: number;
  cpuNano: number;
  cpuSystemNano: number;
  memUsage: number;
  memLimit: number;
  pids: number;
  blockInput: number;
  blockOutput: number;
  netInput: number;
  netOutput: number;
  source: 'cgroup' | 'proc';
}

/** Length of the extra sample the first CPU % is measured over (podman measures since start, which hides a change). */
export const FIRST_SAMPLE_MS = 500;

const CLK_TCK = 100;
const NS_PER_TICK = 1e9 / CLK_TCK;

/**
 * One `stats` run: each frame() re-reads the containers to show and
 * samples them, keeping the last sample of each so CPU % covers the time
 * since the previous frame. A container seen for the first time is sampled
 * twice, FIRST_SAMPLE_MS apart. Reads /proc of the container's processes,
 * so it must run as root of the user namespace. Takes no locks: state is
 * read as `ps` reads it.
 */
export class ContainerStatsSession {
  private readonly previous = new Map<string, StatsSample>();

  constructor(private readonly ctx: EngineContext, private readonly options: ContainerStatsOptions) {}

  /** The reports of one frame, in the order podman lists them; throws NoSuchContainerError for a named container that is gone. */
  async frame(): Promise<ContainerStatsReport[]> {
    const targets = await this.targets();
    const running = targets.filter((c) => c.state.status === 'running' && c.state.pid);
    if (running.some((c) => !this.previous.has(c.record.id))) {
      for (const c of running) {
        if (this.previous.has(c.record.id)) continue;
        const first = sampleContainer(c.state.pid!);
        if (first) this.previous.set(c.record.id, first);
      }
      await sleep(FIRST_SAMPLE_MS);
    }
    const seen = new Set<string>();
    const reports = targets.map((c) => {
      seen.add(c.record.id);
      const sample = c.state.status === 'running' && c.state.pid ? sampleContainer(c.state.pid) : undefined;
      const startedNs = Date.parse(c.state.startedAt ?? c.record.created) * 1e6;
      const report = statsReport(c.record.id, c.record.name, sample, this.previous.get(c.record.id), startedNs);
      if (sample) this.previous.set(c.record.id, sample);
      else this.previous.delete(c.record.id);
      return report;
    });
    for (const id of this.previous.keys()) if (!seen.has(id)) this.previous.delete(id);
    // Listing the running ones: one that stopped since it was listed is not shown.
    const listingRunning = !this.options.all && !this.options.latest && !this.options.containers?.length;
    return listingRunning ? reports.filter((r) => r.source !== 'none') : reports;
  }

  private async targets(): Promise<ContainerInfo[]> {
    const { all, latest, containers = [] } = this.options;
    try {
      if (latest) {
        const [last] = await listContainers(this.ctx, { all: true, latest: true });
        if (!last) throw new SkiffError('ENOCONTAINER', 'no containers to get latest: no such container');
        return [last];
      }
      if (containers.length) {
        const infos: ContainerInfo[] = [];
        for (const name of containers) {
          try {
            infos.push(await resolveContainer(this.ctx, name));
          } catch (err) {
            if (err instanceof NoSuchContainerError) throw new SkiffError('ENOCONTAINER', `unable to look up container ${name}: ${err.message}`);
            throw err;
          }
        }
        return infos;
      }
      return await listContainers(this.ctx, { all: Boolean(all) });
    } catch (err) {
      // podman's wording, which scripts may match.
      if (err instanceof SkiffError && err.code === 'ENOCONTAINER') throw new SkiffError('ENOCONTAINER', `unable to get list of containers: ${err.message}`);
      throw err;
    }
  }
}

/**
 * The figures podman reports from two samples of a container: CPU % over
 * the time between them (since the start when there is no previous one),
 * the average since the start, memory as a share of the limit.
 */
export function statsReport(id: string, name: string, sample: StatsSample | undefined, previous: StatsSample | undefined, startedNs: number): ContainerStatsReport {
  if (!sample) {
    return {
      ContainerID: id, Name: name, CPU: 0, AvgCPU: 0, CPUNano: 0, CPUSystemNano: 0, SystemNano: 0, MemUsage: 0, MemLimit: 0,
      MemPerc: 0, NetInput: 0, NetOutput: 0, BlockInput: 0, BlockOutput: 0, PIDs: 0, source: 'none',
    };
  }
  const percent = (cpuDelta: number, wallDelta: number) => (cpuDelta > 0 && wallDelta > 0 ? (cpuDelta / wallDelta) * 100 : 0);
  const since = previous && previous.at < sample.at ? previous : { at: startedNs, cpuNano: 0 };
  return {
    ContainerID: id,
    Name: name,
    CPU: percent(sample.cpuNano - since.cpuNano, sample.at - since.at),
    AvgCPU: percent(sample.cpuNano, sample.at - startedNs),
    CPUNano: sample.cpuNano,
    CPUSystemNano: sample.cpuSystemNano,
    SystemNano: sample.at,
    MemUsage: sample.memUsage,
    MemLimit: sample.memLimit,
    MemPerc: sample.memLimit > 0 ? (sample.memUsage / sample.memLimit) * 100 : 0,
    NetInput: sample.netInput,
    NetOutput: sample.netOutput,
    BlockInput: sample.blockInput,
    BlockOutput: sample.blockOutput,
    PIDs: sample.pids,
    source: sample.source,
  };
}

/**
 * Samples the container whose init has host pid `initPid`: from its
 * cgroup v2 when it has one of its own, otherwise from /proc for each of its
 * processes. Net I/O comes from init's network namespace either way
 * (cgroups do not count it). Undefined when init is gone.
 */
export function sampleContainer(initPid: number): StatsSample | undefined {
  const pids = containerPids(initPid);
  if (pids.length === 0) return undefined;
  const at = Date.now() * 1e6;
  const net = netIO(initPid);
  const cgroup = cgroupV2Dir(initPid, pids);
  if (cgroup) {
    const fromCgroup = readCgroupV2(cgroup);
    if (fromCgroup) return { at, ...fromCgroup, pids: fromCgroup.pids || pids.length, ...net, source: 'cgroup' };
  }
  let cpuNano = 0;
  let cpuSystemNano = 0;
  let memUsage = 0;
  let blockInput = 0;
  let blockOutput = 0;
  let alive = 0;
  for (const pid of pids) {
    const stat = readText(`/proc/${pid}/stat`);
    if (stat === undefined) continue;
    alive++;
    const ticks = parseProcStatTicks(stat);
    cpuNano += ticks.total * NS_PER_TICK;
    cpuSystemNano += ticks.system * NS_PER_TICK;
    memUsage += processMemory(pid);
    const io = parseProcIo(readText(`/proc/${pid}/io`) ?? '');
    blockInput += io.read;
    blockOutput += io.write;
  }
  if (alive === 0) return undefined;
  return { at, cpuNano, cpuSystemNano, memUsage, memLimit: hostMemTotal(), pids: alive, blockInput, blockOutput, ...net, source: 'proc' };
}

/**
 * CPU ticks of a process from /proc/PID/stat: utime+stime, plus the
 * cutime+cstime of children it reaped (their time would otherwise vanish
 * from the container's total when they exit); `system` is the kernel part.
 */
export function parseProcStatTicks(stat: string): { total: number; system: number } {
  // Fields after the command name (which may hold spaces and parens), numbered from field 3 (state).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(f[i]) || 0);
  return { total: utime + stime + cutime + cstime, system: stime + cstime };
}

/** Pss (proportional set size, shared pages split among their users) in bytes from /proc/PID/smaps_rollup. */
export function parseSmapsRollupPss(text: string): number | undefined {
  const m = /^Pss:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** read_bytes and write_bytes (what reached the block layer) from /proc/PID/io. */
export function parseProcIo(text: string): { read: number; write: number } {
  const field = (key: string) => Number(new RegExp(`^${key}:\\s*(\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { read: field('read_bytes'), write: field('write_bytes') };
}

/** Bytes received and sent over every interface but lo, from a /proc/net/dev table. */
export function parseNetDev(text: string): { netInput: number; netOutput: number } {
  let netInput = 0;
  let netOutput = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    // The two header lines have a `|` and no counters.
    if (iface === 'lo' || iface.includes('|')) continue;
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (fields.length < 16 || fields.some(Number.isNaN)) continue;
    netInput += fields[0];
    netOutput += fields[8];
  }
  return { netInput, netOutput };
}

/** cpu.stat's usage_usec and system_usec, in ns. */
export function parseCgroupCpuStat(text: string): { cpuNano: number; cpuSystemNano: number } | undefined {
  const usage = /^usage_usec (\d+)$/m.exec(text);
  if (!usage) return undefined;
  return { cpuNano: Number(usage[1]) * 1000, cpuSystemNano: Number(/^system_usec (\d+)$/m.exec(text)?.[1] ?? 0) * 1000 };
}

/** rbytes and wbytes summed over the devices of io.stat. */
export function parseCgroupIoStat(text: string): { blockInput: number; blockOutput: number } {
  let blockInput = 0;
  let blockOutput = 0;
  for (const m of text.matchAll(/\brbytes=(\d+)/g)) blockInput += Number(m[1]);
  for (const m of text.matchAll(/\bwbytes=(\d+)/g)) blockOutput += Number(m[1]);
  return { blockInput, blockOutput };
}

/**
 * The container's own cgroup v2 directory: only on a unified hierarchy, and
 * only when the cgroup holds nothing but the container's processes (a
 * runtime that could not create one leaves them in the user's session,
 * whose figures are not the container's).
 */
function cgroupV2Dir(initPid: number, pids: number[]): string | undefined {
  if (!existsSync('/sys/fs/cgroup/cgroup.controllers')) return undefined;
  const path = unifiedCgroupPath(readText(`/proc/${initPid}/cgroup`) ?? '');
  if (!path) return undefined;
  const dir = join('/sys/fs/cgroup', path);
  const members = readText(join(dir, 'cgroup.procs'));
  return members !== undefined && onlyThese(members, pids) ? dir : undefined;
}

/** The cgroup v2 path in a /proc/PID/cgroup text (its `0::` line); undefined for the root or none. */
export function unifiedCgroupPath(procCgroup: string): string | undefined {
  const path = procCgroup.split('\n').find((l) => l.startsWith('0::'))?.slice(3);
  return path && path !== '/' && !path.split('/').includes('..') ? path : undefined;
}

/** Whether a cgroup.procs text lists some processes, all of them among `pids`. */
export function onlyThese(cgroupProcs: string, pids: number[]): boolean {
  const ours = new Set(pids);
  const listed = cgroupProcs.split('\n').filter(Boolean).map(Number);
  return listed.length > 0 && listed.every((p) => ours.has(p));
}

/**
 * A container's figures from its cgroup v2 directory `dir`: cpu.stat,
 * memory.current against memory.max (the host's memory when unlimited or
 * larger, as podman), pids.current, io.stat. Undefined when cpu.stat or
 * memory.current cannot be read (controllers not delegated).
 */
export function readCgroupV2(dir: string, hostMemory = hostMemTotal()): Omit<StatsSample, 'at' | 'netInput' | 'netOutput' | 'source'> | undefined {
  const cpu = parseCgroupCpuStat(readText(join(dir, 'cpu.stat')) ?? '');
  const current = readText(join(dir, 'memory.current'));
  if (!cpu || current === undefined) return undefined;
  const max = readText(join(dir, 'memory.max'))?.trim();
  const limit = max && /^\d+$/.test(max) && Number(max) < hostMemory ? Number(max) : hostMemory;
  return {
    ...cpu,
    memUsage: Number(current.trim()),
    memLimit: limit,
    pids: Number(readText(join(dir, 'pids.current'))?.trim() ?? 0) || 0,
    ...parseCgroupIoStat(readText(join(dir, 'io.stat')) ?? ''),
  };
}

/** A process's memory: its Pss, or its RSS when smaps_rollup cannot be read (kernels before 4.14). */
function processMemory(pid: number): number {
  const pss = parseSmapsRollupPss(readText(`/proc/${pid}/smaps_rollup`) ?? '');
  if (pss !== undefined) return pss;
  const rssPages = Number((readText(`/proc/${pid}/statm`) ?? '').split(' ')[1] ?? 0);
  return (Number.isFinite(rssPages) ? rssPages : 0) * 4096;
}

/** Traffic of init's network namespace; none when it is the host's (--network host), as podman shows. */
function netIO(initPid: number): { netInput: number; netOutput: number } {
  try {
    if (readlinkSync(`/proc/${initPid}/ns/net`) === readlinkSync('/proc/self/ns/net')) return { netInput: 0, netOutput: 0 };
  } catch {
    return { netInput: 0, netOutput: 0 };
  }
  return parseNetDev(readText(`/proc/${initPid}/net/dev`) ?? '');
}

let memTotal: number | undefined;
function hostMemTotal(): number {
  memTotal ??= Number(/^MemTotal:\s+(\d+) kB$/m.exec(readText('/proc/meminfo') ?? '')?.[1] ?? 0) * 1024;
  return memTotal;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
