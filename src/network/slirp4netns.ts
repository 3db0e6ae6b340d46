import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { bindErrorMessage, tryBind, unprivilegedPortStart, type PortMapping } from './ports.js';
import { SkiffError } from '../util/errors.js';

export interface Slirp4netnsOptions {
  netnsPath: string;
  mtu: number;
  /** Let the container reach the host's 127.0.0.1 through 10.0.2.2. */
  allowHostLoopback: boolean;
  /** Where slirp4netns serves its API (add_hostfwd for published ports); none without. */
  apiSocket?: string;
}

/** The fixed addresses slirp4netns --configure gives a container. */
export const SLIRP = {
  containerIp: '10.0.2.100',
  gateway: '10.0.2.2',
  dns: '10.0.2.3',
} as const;

/**
 * Starts slirp4netns for a network namespace file and resolves once it has
 * configured tap0 (signalled on its ready fd). The caller owns the process
 * and kills it at teardown; should the caller die first, even by SIGKILL,
 * slirp4netns exits too: its exit fd is a pipe whose other end only this
 * process holds (close-on-exec, so no other child inherits it).
 */
export async function startSlirp4netns(options: Slirp4netnsOptions): Promise<ChildProcess> {
  const args = [
    '--configure', `--mtu=${options.mtu}`, '--ready-fd=3', '--exit-fd=4', '--netns-type=path',
    ...(options.allowHostLoopback ? [] : ['--disable-host-loopback']),
    ...(options.apiSocket ? [`--api-socket=${options.apiSocket}`] : []),
    '--enable-sandbox', '--enable-seccomp',
    options.netnsPath, 'tap0',
  ];
  const child = spawn('slirp4netns', args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  // Never written to nor read: its end closing (with us) is the signal.
  const exitPipe = child.stdio[4] as NodeJS.ReadableStream & { on(event: 'error', l: () => void): void };
  exitPipe.pause();
  exitPipe.on('error', () => undefined);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => reject(new SkiffError('ESLIRP', `slirp4netns failed: ${why}`, { hint: 'is the slirp4netns package installed and /dev/net/tun usable?' }));
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code) => fail(stderr.trim().split('\n').pop() || `exited with code ${code}`));
    (child.stdio[3] as NodeJS.ReadableStream).once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  (child.stdio[3] as NodeJS.ReadableStream & { destroy(): void }).destroy();
  return child;
}

/**
 * Publishes `mappings` through slirp4netns's own forwarding (its API
 * socket's add_hostfwd, podman's port_handler=slirp4netns): slirp4netns
 * binds the host ports and the container sees a client's own address
 * (a client on the host's loopback as the gateway, 10.0.2.2). No process
 * is added. Throws podman's one-line error for a port that cannot be
 * bound (in use, privileged); the caller kills slirp4netns, which frees
 * the ports bound so far.
 */
export async function addSlirpHostForwards(apiSocket: string, mappings: PortMapping[]): Promise<void> {
  for (const m of mappings) {
    for (const protocol of m.protocol.split(',')) {
      for (let i = 0; i < m.range; i++) {
        const hostPort = m.hostPort + i;
        const reply = await slirpApi(apiSocket, {
          execute: 'add_hostfwd',
          arguments: { proto: protocol, host_addr: m.hostIp || '0.0.0.0', host_port: hostPort, guest_addr: SLIRP.containerIp, guest_port: m.containerPort + i },
        });
        if (reply.error === undefined) continue;
        // slirp4netns says only that it failed: bind it ourselves to learn why.
        const { code } = await tryBind(protocol, m.hostIp, hostPort);
        throw new SkiffError('EPORTBIND', code ? bindErrorMessage(protocol, m.hostIp, hostPort, code, unprivilegedPortStart())
          : `slirp4netns cannot publish ${m.hostIp || '0.0.0.0'}:${hostPort}/${protocol}: ${reply.error.desc ?? 'add_hostfwd failed'}`);
      }
    }
  }
}

/** One request on slirp4netns's API socket (one JSON object each way per connection). */
function slirpApi(path: string, request: unknown): Promise<{ return?: unknown; error?: { desc?: string } }> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let data = '';
    socket.on('data', (d: Buffer) => { data += d.toString(); });
    socket.once('error', (err) => reject(new SkiffError('ESLIRP', `slirp4netns API ${path}: ${err.message}`)));
    socket.once('end', () => {
      try {
        resolve(JSON.parse(data) as { return?: unknown; error?: { desc?: string } });
      } catch {
        reject(new SkiffError('ESLIRP', `slirp4netns API: unexpected reply ${JSON.stringify(data)}`));
      }
    });
    socket.end(JSON.stringify(request));
  });
}
