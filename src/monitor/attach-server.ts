/**
 * The attach socket: a unix socket where `run`, `start -a` and `attach`
 * clients connect. Each client gets the container's output as frames and
 * finally the exit frame; what clients send becomes input events for the
 * container (see protocol.ts for the frames).
 */
import { promises as fsp } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { signalNumber } from '../util/signals.js';
import type { InputEvent } from './container-io.js';
import type { LogStream } from '../store/container-log.js';
import { Frame, FrameDecoder, encodeFrame } from './protocol.js';

/** How long a monitor started for an attached run waits for its client. */
const ATTACH_WAIT_MS = 30_000;

/** What the attach server feeds and holds back: the container's stdio (a ContainerStdio). */
export interface AttachTarget {
  /** Handles one client event; false when the container's stdin cannot take more for now. */
  input(event: InputEvent): boolean;
  whenInputDrains(listener: () => void): void;
  /** Stop and restart reading the container's output, while a client's socket is full. */
  pauseOutput(): void;
  resumeOutput(): void;
}

/**
 * Serves the attach socket at `path` for the monitor's lifetime: `listen`
 * once, `broadcast` output, `close` with the exit code at the end. A client
 * that reads slowly holds the container's output back, and a container
 * whose stdin is full stops reading from the clients, as pipes would.
 */
export class AttachServer {
  private readonly clients = new Set<Socket>();
  /** Clients whose socket buffer is full; the container's output waits for them. */
  private readonly congested = new Set<Socket>();
  private server?: Server;
  private firstClient?: () => void;

  constructor(private readonly path: string, private readonly target: AttachTarget) {}

  /** Creates the socket (replacing a stale one) and starts accepting clients. */
  async listen(): Promise<void> {
    await fsp.mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await fsp.rm(this.path, { force: true });
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.path, () => resolve());
    });
  }

  /** Resolves when a client is connected, at the latest after 30 s or on `stopWaiting`. */
  waitForClient(): Promise<void> {
    if (this.clients.size > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ATTACH_WAIT_MS);
      this.firstClient = () => {
        clearTimeout(timer);
        this.firstClient = undefined;
        resolve();
      };
    });
  }

  /** Ends a pending `waitForClient` now. */
  stopWaiting(): void {
    this.firstClient?.();
  }

  /** Sends container output to every client. */
  broadcast(stream: LogStream, data: Buffer): void {
    const frame = encodeFrame(stream === 'stdout' ? Frame.Stdout : Frame.Stderr, data);
    for (const client of this.clients) {
      if (!client.write(frame)) this.congest(client);
    }
  }

  /**
   * Sends the exit frame to every client and ends them (waiting at most a
   * second for each), then closes the server and removes the socket.
   */
  async close(exitCode: number, error?: string): Promise<void> {
    const frame = encodeFrame(Frame.Exit, JSON.stringify({ exitCode, error }));
    await Promise.all([...this.clients].map((client) => new Promise<void>((resolve) => {
      client.end(frame, () => resolve());
      setTimeout(resolve, 1000);
    })));
    this.server?.close();
    await fsp.rm(this.path, { force: true });
  }

  /**
   * A client that reads slowly holds the container back (as a pipe would)
   * instead of its output piling up here without bound.
   */
  private congest(client: Socket): void {
    if (this.congested.has(client)) return;
    this.congested.add(client);
    this.target.pauseOutput();
    client.once('drain', () => this.decongest(client));
  }

  private decongest(client: Socket): void {
    if (!this.congested.delete(client)) return;
    if (this.congested.size === 0) this.target.resumeOutput();
  }

  private accept(socket: Socket): void {
    this.clients.add(socket);
    this.firstClient?.();
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let full = false;
      for (const frame of decoder.push(chunk)) {
        const event = inputEvent(frame.type, frame.payload);
        if (event && !this.target.input(event)) full = true;
      }
      // The container's stdin (or the queue before it exists) is full: read
      // no more from this client until it has room, so the client blocks too.
      if (full) {
        socket.pause();
        this.target.whenInputDrains(() => socket.resume());
      }
    });
    const gone = () => {
      this.clients.delete(socket);
      this.decongest(socket);
    };
    socket.on('error', gone);
    socket.on('close', gone);
  }
}

/** The event a client's frame asks for; undefined for a frame to ignore (unknown type or signal). */
function inputEvent(type: number, payload: Buffer): InputEvent | undefined {
  switch (type) {
    case Frame.Stdin:
      return { kind: 'stdin', data: payload };
    case Frame.StdinEof:
      return { kind: 'eof' };
    case Frame.Resize: {
      const { rows, cols } = JSON.parse(payload.toString()) as { rows: number; cols: number };
      return { kind: 'resize', rows, cols };
    }
    case Frame.Signal: {
      const signal = payload.toString();
      return signalNumber(signal) === undefined ? undefined : { kind: 'signal', signal };
    }
    default:
      return undefined;
  }
}
