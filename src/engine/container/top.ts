import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { readImageFile } from '../../image/layer/read-file.js';
import { SkiffError } from '../../util/errors.js';
import { exec } from '../../util/exec.js';
import type { EngineContext } from '../context.js';
import { ContainerStateError } from '../errors.js';
import { resolveContainer } from './record.js';

export interface ContainerTopReport {
  /** The header row and one row per process, each cell a string. */
  rows: string[][];
  /** Set instead of rows when `ps` produced the output (descriptors it alone knows). */
  psOutput?: string;
}

/** podman's descriptors (psgo) skiff computes from /proc, with their headers; AIX codes map onto them. */
export const TOP_DESCRIPTORS: Record<string, string> = {
  args: 'COMMAND', comm: 'COMMAND', etime: 'ELAPSED', group: 'GROUP', hgroup: 'HGROUP', hpid: 'HPID', huser: 'HUSER',
  nice: 'NI', pcpu: '%CPU', pgid: 'PGID', pid: 'PID', ppid: 'PPID', rgroup: 'RGROUP', ruser: 'RUSER', rss: 'RSS',
  state: 'STATE', time: 'TIME', tty: 'TTY', user: 'USER', vsz: 'VSZ',
};
const AIX: Record<string, string> = {
  '%C': 'pcpu', '%G': 'group', '%P': 'ppid', '%U': 'user', '%a': 'args', '%c': 'comm', '%g': 'rgroup',
  '%n': 'nice', '%p': 'pid', '%r': 'pgid', '%t': 'etime', '%u': 'ruser', '%x': 'time', '%y': 'tty', '%z': 'vsz',
};
export const DEFAULT_TOP_DESCRIPTORS = ['user', 'pid', 'ppid', 'pcpu', 'etime', 'tty', 'time', 'args'];

/** Descriptors (and AIX codes) as names skiff computes, or undefined when one is not: podman then hands them all to ps. */
export function topDescriptors(args: string[]): string[] | undefined {
  if (args.length === 0) return DEFAULT_TOP_DESCRIPTORS;
  // podman also accepts them comma-separated in one argument.
  const words = args.flatMap((a) => a.split(',')).filter(Boolean).map((d) => AIX[d] ?? d);
  return words.every((d) => d in TOP_DESCRIPTORS) ? words : undefined;
}

const CLK_TCK = 100;
const PAGE_KIB = 4;

interface ProcInfo {
  hostPid: number;
  /** The pid, parent and group as the container's pid namespace numbers them. */
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  ttyNr: number;
  cpuTicks: number;
  nice: number;
  startTicks: number;
  vszKiB: number;
  rssKiB: number;
  uids: number[];
  gids: number[];
  comm: string;
  args: string;
}

/**
 * Lists the processes of a running container (`skiff top`). Its processes
 * are those in its init's pid namespace (found through /proc/PID/ns/pid,
 * which also catches `exec` sessions that are no descendants of init).
 * With `descriptors` skiff knows, the values come from /proc and users and
 * groups are named as the container sees them (ids from the user
 * namespace, names from the container's /etc/passwd and /etc/group, read
 * without following links out of its root); otherwise the arguments go to
 * the host's `ps`, restricted to the container's processes (host pids).
 * Runs in the user namespace, where /proc shows the container's own ids.
 */
export async function containerTop(ctx: EngineContext, nameOrId: string, args: string[]): Promise<ContainerTopReport> {
  const { record, state } = await resolveContainer(ctx, nameOrId);
  if (state.status !== 'running' || !state.pid) throw new ContainerStateError('top can only be used on running containers');
  const hostPids = containerPids(state.pid);
  if (hostPids.length === 0) throw new ContainerStateError('top can only be used on running containers');
  const descriptors = topDescriptors(args);
  if (!descriptors) {
    const ps = await exec('ps', [...args, '-q', hostPids.join(',')]);
    if (ps.exitCode !== 0) throw new SkiffError('EPS', `ps(1) failed with exit code ${ps.exitCode}: ${ps.stderr.trim().split('\n').at(-1) ?? ''}`);
    return { rows: [], psOutput: ps.stdout };
  }
  const procs = hostPids.map(readProc).filter((p): p is ProcInfo => p !== undefined);
  const passwd = idNames(record.spec.rootfs, '/etc/passwd');
  const group = idNames(record.spec.rootfs, '/etc/group');
  const uidMap = readIdMap(`/proc/${state.pid}/uid_map`);
  const gidMap = readIdMap(`/proc/${state.pid}/gid_map`);
  const bootTicks = bootTime();
  const nowMs = Date.now();
  const value = (p: ProcInfo, d: string): string => {
    const elapsedMs = Math.max(0, nowMs - (bootTicks * 1000 + (p.startTicks * 1000) / CLK_TCK));
    switch (d) {
      case 'args': return p.args || `[${p.comm}]`;
      case 'comm': return p.comm;
      case 'etime': return goDuration(elapsedMs);
      case 'time': return goDuration(Math.floor(p.cpuTicks / CLK_TCK) * 1000);
      case 'pcpu': return elapsedMs > 0 ? ((p.cpuTicks * 1000 / CLK_TCK) / elapsedMs * 100).toFixed(3) : '0.000';
      case 'pid': return String(p.pid);
      case 'ppid': return String(p.ppid);
      case 'pgid': return String(p.pgid);
      case 'hpid': return String(p.hostPid);
      case 'user': return passwd.get(p.uids[1]) ?? String(p.uids[1]);
      case 'ruser': return passwd.get(p.uids[0]) ?? String(p.uids[0]);
      case 'group': return group.get(p.gids[1]) ?? String(p.gids[1]);
      case 'rgroup': return group.get(p.gids[0]) ?? String(p.gids[0]);
      case 'huser': return String(mapId(uidMap, p.uids[1]));
      case 'hgroup': return String(mapId(gidMap, p.gids[1]));
      case 'nice': return String(p.nice);
      case 'state': return p.state;
      case 'tty': return ttyName(p.ttyNr);
      case 'vsz': return String(p.vszKiB);
      case 'rss': return String(p.rssKiB);
      default: return '';
    }
  };
  return { rows: [descriptors.map((d) => TOP_DESCRIPTORS[d]), ...procs.map((p) => descriptors.map((d) => value(p, d)))] };
}

/** Host pids of every process in the pid namespace of `initPid`, init first; none when init is gone. */
export function containerPids(initPid: number): number[] {
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${initPid}/ns/pid`);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) === ns) pids.push(Number(entry));
    } catch {
      // Exited meanwhile, or not ours to look at.
    }
  }
  return pids.sort((a, b) => (a === initPid ? -1 : b === initPid ? 1 : a - b));
}

function readProc(hostPid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${hostPid}/stat`, 'utf8');
    const status = readFileSync(`/proc/${hostPid}/status`, 'utf8');
    const cmdline = readFileSync(`/proc/${hostPid}/cmdline`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    // Fields after the command name, numbered as in proc(5) from field 3 (state).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const line = (key: string) => (status.match(new RegExp(`^${key}:\\s*(.*)$`, 'm'))?.[1] ?? '').trim().split(/\s+/).map(Number);
    const nspid = line('NSpid');
    const nsOf = (hostId: number) => (hostId === hostPid ? nspid.at(-1)! : nsPidOf(hostId));
    return {
      hostPid,
      pid: nspid.at(-1) ?? hostPid,
      ppid: nsOf(Number(f[1])),
      pgid: nsOf(Number(f[2])),
      state: f[0],
      ttyNr: Number(f[4]),
      cpuTicks: Number(f[11]) + Number(f[12]),
      nice: Number(f[16]),
      startTicks: Number(f[19]),
      vszKiB: Math.floor(Number(f[20]) / 1024),
      rssKiB: Number(f[21]) * PAGE_KIB,
      uids: line('Uid'),
      gids: line('Gid'),
      comm,
      args: cmdline.split('\0').filter(Boolean).join(' '),
    };
  } catch {
    return undefined;
  }
}

/** A host pid as the container numbers it; 0 for a process outside the container (init's parent), as podman shows. */
function nsPidOf(hostPid: number): number {
  try {
    const nspid = readFileSync(`/proc/${hostPid}/status`, 'utf8').match(/^NSpid:\s*(.*)$/m)?.[1].trim().split(/\s+/) ?? [];
    return nspid.length > 1 ? Number(nspid.at(-1)) : 0;
  } catch {
    return 0;
  }
}

/** id → name from the container's passwd or group file, read inside its root without following links out of it. */
function idNames(rootfs: string, path: string): Map<number, string> {
  const names = new Map<number, string>();
  const text = readImageFile([rootfs], path, 1 << 20)?.toString('utf8') ?? '';
  for (const l of text.split('\n')) {
    const fields = l.split(':');
    if (fields.length >= 3 && /^\d+$/.test(fields[2]) && !names.has(Number(fields[2]))) names.set(Number(fields[2]), fields[0]);
  }
  return names;
}

function readIdMap(path: string): Array<[inside: number, outside: number, count: number]> {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number]);
  } catch {
    return [];
  }
}

/** An id of the container's user namespace as the host numbers it (the map's outside id). */
function mapId(map: Array<[number, number, number]>, id: number): number {
  for (const [inside, outside, count] of map) if (id >= inside && id < inside + count) return outside + id - inside;
  return id;
}

function bootTime(): number {
  return Number(readFileSync('/proc/stat', 'utf8').match(/^btime (\d+)$/m)?.[1] ?? 0);
}

/** A tty_nr as ps names it: pts/N or ttyN, "?" for none. */
function ttyName(ttyNr: number): string {
  if (ttyNr === 0) return '?';
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return `tty${minor}`;
  return '?';
}

/** A duration as Go's time.Duration prints it (podman's ELAPSED and TIME): 0s, 250ms, 3.5s, 1h2m3s. */
export function goDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number(s.toFixed(3))}s`;
  return h ? `${h}h${m}m${sec}` : m ? `${m}m${sec}` : sec;
}
