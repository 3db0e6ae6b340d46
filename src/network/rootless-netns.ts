import { spawn } from 'node:child_process';
import { promises as fsp, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from '../util/exec.js';
import { SkiffError, isErrno } from '../util/errors.js';
import { processAlive, processStartTime, sleep } from '../util/fs.js';
import { withLock } from '../util/lock.js';
import { sbinEnv } from './netavark.js';
import { createNetns, removeNetns } from './netns.js';

interface SlirpRecord {
  pid: number;
  startTime: number;
}

/**
 * The rootless network namespace, as podman's "rootless-netns": one per
 * run root, holding the bridges of the user networks and aardvark-dns,
 * given its way out by a slirp4netns of its own. Containers on user
 * networks get a veth pair into it (netavark). It exists while at least
 * one container has a network set up in it: the last teardown removes it,
 * as podman's RootlessNetNS.Cleanup does.
 *
 * Every method runs as root of skiff's user namespace, in the pause mount
 * namespace (the monitor, or a command marked `userns`).
 */
export class RootlessNetns {
  constructor(readonly runDir: string) {}

  /** The bind-mounted namespace file. */
  get netnsFile(): string {
    return join(this.runDir, 'rootless-netns');
  }

  private get slirpFile(): string {
    return join(this.runDir, 'rootless-netns.slirp4netns.json');
  }

  /** Its slirp4netns's API socket: published ports of containers on user networks are added and removed there. */
  get apiSocket(): string {
    return join(this.runDir, 'rootless-netns.slirp4netns.sock');
  }

  /**
   * Which slirp4netns runs for the namespace now ("pid:starttime"), or
   * undefined: forwards added through one slirp4netns mean nothing to
   * the next (it numbers them from 1 again).
   */
  async slirpIdentity(): Promise<string | undefined> {
    const slirp = await this.readSlirp();
    return slirp && processAlive(slirp.pid, slirp.startTime) ? `${slirp.pid}:${slirp.startTime}` : undefined;
  }

  /**
   * Runs `fn` holding the rootless netns lock: creating and removing the
   * namespace, and each netavark setup or teardown in it, take turns.
   */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await fsp.mkdir(this.runDir, { recursive: true });
    return withLock(join(this.runDir, 'rootless-netns.lock'), fn, 120_000);
  }

  /**
   * Makes sure the namespace exists and its slirp4netns runs; starts both
   * when not (first use, after a reboot, after its slirp4netns died).
   * The caller holds the lock.
   */
  async ensureLocked(): Promise<void> {
    const slirp = await this.readSlirp();
    if (slirp && processAlive(slirp.pid, slirp.startTime)) return;
    await this.destroyLocked();
    await createNetns(this.netnsFile);
    try {
      await this.startSlirp();
    } catch (err) {
      await this.destroyLocked().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Stops its slirp4netns, waiting (up to 2 s) until it has exited and so
   * freed the host ports it published, and removes the namespace
   * (aardvark-dns has gone with the last teardown). The caller holds the lock.
   */
  async destroyLocked(): Promise<void> {
    const slirp = await this.readSlirp();
    if (slirp && processAlive(slirp.pid, slirp.startTime)) {
      try {
        process.kill(slirp.pid, 'SIGTERM');
      } catch (err) {
        if (!isErrno(err, 'ESRCH')) throw err;
      }
      for (let i = 0; i < 200 && processAlive(slirp.pid, slirp.startTime); i++) await sleep(10);
    }
    await fsp.rm(this.slirpFile, { force: true });
    await fsp.rm(this.apiSocket, { force: true });
    await removeNetns(this.netnsFile);
  }

  /**
   * slirp4netns --configure gives the namespace tap0 with 10.0.2.100 and a
   * default route; it outlives the process that starts it (its own session)
   * and is told to stop by destroyLocked. Host loopback stays closed, as in
   * podman's default (allow_host_loopback=false). Its API socket takes
   * the published ports (see publishPorts).
   */
  private async startSlirp(): Promise<void> {
    const logFile = join(this.runDir, 'rootless-netns.slirp4netns.log');
    const log = openSync(logFile, 'w');
    await fsp.rm(this.apiSocket, { force: true });
    const args = ['--configure', '--mtu=65520', '--disable-host-loopback', '--ready-fd=3', '--netns-type=path', `--api-socket=${this.apiSocket}`, '--enable-sandbox', '--enable-seccomp', this.netnsFile, 'tap0'];
    const child = spawn('slirp4netns', args, { detached: true, stdio: ['ignore', log, log, 'pipe'] });
    closeSync(log);
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = async (why: string) => {
          const text = await fsp.readFile(logFile, 'utf8').catch(() => '');
          reject(new SkiffError('ESLIRP', `starting slirp4netns for the rootless network namespace failed: ${text.trim().split('\n').pop() || why}`, { hint: 'is the slirp4netns package installed and /dev/net/tun usable?' }));
        };
        child.once('error', (err) => void fail(err.message));
        child.once('exit', (code) => void fail(`exited with code ${code}`));
        (child.stdio[3] as NodeJS.ReadableStream).once('data', () => resolve());
      });
    } finally {
      child.removeAllListeners('exit');
      (child.stdio[3] as NodeJS.ReadableStream & { destroy(): void }).destroy();
      child.unref();
    }
    const record: SlirpRecord = { pid: child.pid!, startTime: processStartTime(child.pid!)! };
    await fsp.writeFile(this.slirpFile, JSON.stringify(record));
    await this.isolateBridges();
    await this.answerArpForContainers();
  }

  /**
   * Published ports: slirp4netns forwards a host port straight to the
   * container's address on its bridge (add_hostfwd with that guest
   * address), so no NAT rewrites the client's address. slirp4netns asks
   * for that address by ARP on tap0, where only the rootless netns can
   * answer, and then routes the packets on to the bridge: proxy ARP.
   */
  private async answerArpForContainers(): Promise<void> {
    // /proc/sys/net is the writer's network namespace's.
    const result = await exec('nsenter', [`--net=${this.netnsFile}`, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/conf/tap0/proxy_arp']);
    if (result.exitCode !== 0) throw new SkiffError('ENETWORK', `enabling proxy ARP on the rootless network namespace's tap0 failed: ${result.stderr.trim()}`);
  }

  /**
   * Containers on different networks must not reach each other: netavark
   * 1.4 (podman 4.3) routes between its bridges freely (podman 4.5 added
   * an opt-in `isolate` option). One rule drops whatever one bridge
   * forwards to another, in the mangle table: netavark inserts its own
   * jump first in filter's FORWARD on every setup and accepts there.
   * Traffic within one bridge is switched, never forwarded: untouched.
   */
  private async isolateBridges(): Promise<void> {
    const rule = ['-t', 'mangle', '-I', 'FORWARD', '1', '-i', 'podman+', '-o', 'podman+'];
    // With br_netfilter loaded, traffic within a bridge passes FORWARD too (in and out the same bridge): physdev tells it apart.
    const bridged = ['-m', 'physdev', '!', '--physdev-is-bridged'];
    const insert = async (tool: string) => {
      const result = await exec('nsenter', [`--net=${this.netnsFile}`, tool, '-w', ...rule, ...bridged, '-j', 'DROP'], { env: sbinEnv() });
      // No physdev match means no br_netfilter either: the plain rule is exact then.
      return result.exitCode === 0 ? result : exec('nsenter', [`--net=${this.netnsFile}`, tool, '-w', ...rule, '-j', 'DROP'], { env: sbinEnv() });
    };
    // ip6tables may be missing or IPv6 disabled: only IPv4's rule is required.
    const [v4] = await Promise.all([insert('iptables'), insert('ip6tables')]);
    if (v4.exitCode !== 0) throw new SkiffError('ENETWORK', `isolating the networks from each other failed: ${v4.stderr.trim()}`, { hint: 'is iptables installed?' });
  }

  private async readSlirp(): Promise<SlirpRecord | undefined> {
    try {
      return JSON.parse(await fsp.readFile(this.slirpFile, 'utf8')) as SlirpRecord;
    } catch (err) {
      if (isErrno(err, 'ENOENT') || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }
}
