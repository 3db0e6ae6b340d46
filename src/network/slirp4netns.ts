import { spawn, type ChildProcess } from 'node:child_process';
import { SkiffError } from '../util/errors.js';

export interface Slirp4netnsOptions {
  netnsPath: string;
  mtu: number;
  /** Let the container reach the host's 127.0.0.1 through 10.0.2.2. */
  allowHostLoopback: boolean;
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
