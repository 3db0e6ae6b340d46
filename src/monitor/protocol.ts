/**
 * What the engine and a monitor agree on: the monitor's configuration file,
 * its start-up messages on the sync pipe (fd 3), and the frames spoken on
 * its attach socket. This is the only monitor module the engine imports.
 */
import type { NetworkMode } from '../runtime/spec/container-spec.js';
import type { RuntimeRef } from '../runtime/driver.js';
import type { PortMapping } from '../network/ports.js';
import type { NetworkHostsFiles } from '../network/etc-files.js';
import type { MountPreparation } from '../store/mount-prep.js';
import type { ContainerStorage } from '../store/drivers/driver.js';

export type { MountPreparation };

/** Written by the engine next to the container as monitor.json. */
export interface MonitorConfig {
  id: string;
  name: string;
  graphRoot: string;
  runRoot: string;
  runtime: RuntimeRef;
  bundle: string;
  /** The default k8s-file log; its directory also holds the runtime's pid file and log. */
  logFile: string;
  /** Where the container's output goes (--log-driver, --log-opt); absent in configs older than it: k8s-file at logFile. */
  log?: { driver: 'k8s-file' | 'none'; path: string; maxSize?: number };
  stateFile: string;
  attachSocket: string;
  terminal: boolean;
  /** Keep the container's stdin open for attached clients (-i). */
  stdin: boolean;
  /** Remove the container once it has exited (--rm). */
  autoRemove: boolean;
  storage: StorageMount;
  network: NetworkMode;
  netnsFile?: string;
  /**
   * The runtime makes the network namespace (a container in a user namespace
   * of its own: the namespace must be owned by it, or runc cannot join both
   * for exec); the monitor binds it to netnsFile and configures it between
   * create and start.
   */
  netnsByRuntime?: boolean;
  /** --network container:: the line its start added to the joined container's hosts file, taken out when it exits (as podman). */
  joinedHosts?: { containerId: string; path: string; hostname: string; name: string };
  /** User networks: the hosts file the monitor writes at each start with the container's addresses, and the container's hostname for them. */
  networkHosts?: NetworkHostsFiles & { hostname: string };
  /** Published ports, host ports chosen: the network's forwarder binds them before the container starts. */
  ports?: PortMapping[];
  consoleSize?: { rows: number; cols: number };
  /** --timeout: seconds after the start when the monitor kills the container (its exit code is then -1). */
  timeout?: number;
  /** --conmon-pidfile: the monitor writes its own pid there when it starts the container. */
  monitorPidFile?: string;
  /** What the monitor does for -v/--mount before each start (volume copy-up, U, overlays); absent without any. */
  mounts?: MountPreparation;
}

/** How the container's root filesystem is stored: see store/drivers/driver.ts. */
export type StorageMount = ContainerStorage;

/** engine → monitor: the first line on the sync pipe, once the container exists. */
export interface LaunchMessage {
  /** Path of the container's monitor.json. */
  config: string;
  /** Wait for an attach client before starting the container. */
  attach: boolean;
  /**
   * run --preserve-fds N: the monitor was forked with N more fds, at 4..4+N-1
   * (after the sync pipe); the container gets them as 3..3+N-1, for this run only.
   */
  preserveFds?: number;
}

/** monitor → engine: JSON lines on the sync pipe, in order: listening, then started or error. */
export type SyncMessage =
  | { event: 'listening' }
  | { event: 'started'; pid: number }
  | { event: 'error'; message: string; exitCode: number };

/** Frame types on the attach socket. */
export const Frame = {
  /** client → monitor: bytes for the container's stdin. */
  Stdin: 1,
  /** client → monitor: the client's stdin ended. */
  StdinEof: 2,
  /** client → monitor: JSON {rows, cols}. */
  Resize: 3,
  /** client → monitor: a signal name (TERM, HUP, ...) to deliver to the container (--sig-proxy). */
  Signal: 4,
  /** monitor → client */
  Stdout: 17,
  Stderr: 18,
  /** monitor → client: JSON {exitCode, error?}; the last frame. */
  Exit: 19,
} as const;

export interface ExitFrame {
  exitCode: number;
  error?: string;
}

export function encodeFrame(type: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const head = Buffer.alloc(5);
  head.writeUInt8(type, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into frames; feed it chunks, get whole frames back. */
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Array<{ type: number; payload: Buffer }> {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const frames: Array<{ type: number; payload: Buffer }> = [];
    while (this.buffered.length >= 5) {
      const length = this.buffered.readUInt32BE(1);
      if (this.buffered.length < 5 + length) break;
      frames.push({ type: this.buffered[0], payload: this.buffered.subarray(5, 5 + length) });
      this.buffered = this.buffered.subarray(5 + length);
    }
    return frames;
  }
}
