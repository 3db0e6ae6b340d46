import { spawn } from 'node:child_process';
import { accessSync, constants, promises as fsp, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { delimiter, join } from 'node:path';
import { SkiffError } from '../util/errors.js';
import { bindErrorMessage, tryBind, unprivilegedPortStart, type PortMapping } from './ports.js';

/** The address in the container that pasta answers DNS on, forwarding to the host's resolver (podman 5's). */
export const PASTA_DNS = '169.254.1.1';

/**
 * pasta's command line as podman 5 builds it: published ports as -t/-u
 * `[IP/]HOST-END:CPORT-END`, the user's options (`--network
 * pasta:OPT,OPT`) as given, then no other forwarding unless the user
 * asked for it (pasta forwards every port by default), gateway not mapped
 * to the host, DNS forwarded from PASTA_DNS. Pure.
 */
export function pastaArgs(netnsPath: string, ports: PortMapping[], userOptions: string[], pidFile?: string): string[] {
  const args: string[] = ['--config-net'];
  for (const m of ports) {
    for (const protocol of m.protocol.split(',')) {
      if (protocol !== 'tcp' && protocol !== 'udp') throw new SkiffError('EPASTA', `can't forward protocol: ${protocol}`);
      const addr = m.hostIp ? `${m.hostIp}/` : '';
      args.push(protocol === 'tcp' ? '-t' : '-u', `${addr}${m.hostPort}-${m.hostPort + m.range - 1}:${m.containerPort}-${m.containerPort + m.range - 1}`);
    }
  }
  // --map-gw is podman's own option: it only leaves out --no-map-gw.
  args.push(...userOptions.filter((o) => o !== '--map-gw'));
  const given = (...names: string[]) => userOptions.some((o) => names.includes(o) || names.some((n) => n.startsWith('--') && o.startsWith(`${n}=`)));
  if (!given('-t', '--tcp-ports') && !ports.some((m) => m.protocol.split(',').includes('tcp'))) args.push('-t', 'none');
  if (!given('-u', '--udp-ports') && !ports.some((m) => m.protocol.split(',').includes('udp'))) args.push('-u', 'none');
  if (!given('-T', '--tcp-ns')) args.push('-T', 'none');
  if (!given('-U', '--udp-ns')) args.push('-U', 'none');
  if (!given('--map-gw')) args.push('--no-map-gw');
  if (!given('--dns-forward')) args.push('--dns-forward', PASTA_DNS);
  args.push('--quiet', ...(pidFile ? ['--pid', pidFile] : []), '--netns', netnsPath);
  return args;
}

/** Whether a pasta binary is on PATH: podman 5's test for making it the default. */
export function pastaAvailable(path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): boolean {
  return findProgram('pasta', path) !== undefined;
}

/** The first executable `name` on PATH, or undefined. */
export function findProgram(name: string, path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Starts pasta for a network namespace file and resolves once it has
 * configured the namespace and bound the published ports (pasta goes to the
 * background then; its pid is in `pidFile`). pasta quits by itself when
 * the namespace file is removed, which every teardown does, even the
 * repair after a monitor was killed. A port that cannot be bound fails
 * with podman's one-line error.
 */
export async function startPasta(netnsPath: string, ports: PortMapping[], userOptions: string[], pidFile: string): Promise<void> {
  await fsp.rm(pidFile, { force: true });
  // pasta binds IPv4 and IPv6 apart and is content with either: a port
  // another program holds on 0.0.0.0 would be half-published, so check first.
  await checkPortsFree(ports);
  const child = spawn('pasta', pastaArgs(netnsPath, ports, userOptions, pidFile), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const code = await new Promise<number | string>((resolve) => {
    child.once('error', (err) => resolve(err.message));
    child.once('close', (c, signal) => resolve(c ?? signal ?? 'killed'));
  });
  if (code === 0) return;
  await checkPortsFree(ports);
  const why = output.trim().split('\n').find(Boolean) ?? '';
  throw new SkiffError('EPASTA', typeof code === 'number' ? `pasta failed with exit code ${code}: ${why}` : `pasta failed: ${code}`, { hint: 'is the passt package installed?' });
}

/** Throws podman's one-line error for the first published host port that cannot be bound now. */
async function checkPortsFree(ports: PortMapping[]): Promise<void> {
  for (const m of ports) {
    for (const protocol of m.protocol.split(',')) {
      for (let i = 0; i < m.range; i++) {
        const { code } = await tryBind(protocol, m.hostIp, m.hostPort + i);
        if (code) throw new SkiffError('EPORTBIND', bindErrorMessage(protocol, m.hostIp, m.hostPort + i, code, unprivilegedPortStart()));
      }
    }
  }
}

/** Ends the pasta started with `pidFile`, if it still runs; removing the namespace would end it too, a moment later. */
export async function stopPasta(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  // Debian's pasta runs as passt.avx2 where the CPU has AVX2.
  if (pid > 0 && /^pas(ta|st)/.test(readComm(pid))) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
    for (let i = 0; i < 100 && readComm(pid); i++) await new Promise((r) => setTimeout(r, 10));
  }
  await fsp.rm(pidFile, { force: true });
}

function readComm(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie is as good as gone: its sockets are closed.
    return / Z /.test(stat.slice(stat.lastIndexOf(')'))) ? '' : readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * The IPv4 address pasta gives the container: `-a/--address ADDR` from the
 * user's options, else (pasta's default) the address of the host's
 * interface with the default route. Undefined when there is none.
 */
export function pastaAddress(options: string[], routes = readProcFile('/proc/net/route'), interfaces = networkInterfaces()): string | undefined {
  for (let i = 0; i < options.length; i++) {
    const o = options[i];
    if ((o === '-a' || o === '--address') && isIP(options[i + 1] ?? '') === 4) return options[i + 1];
    if (o.startsWith('--address=') && isIP(o.slice(10)) === 4) return o.slice(10);
  }
  // Iface Destination Gateway ...: the default route has destination 00000000.
  const iface = routes.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).find((f) => f[1] === '00000000')?.[0];
  return (iface ? interfaces[iface] : undefined)?.find((a) => a.family === 'IPv4' && !a.internal)?.address;
}

function readProcFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
