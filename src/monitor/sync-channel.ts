/**
 * The monitor's end of the sync pipe (fd 3, a socketpair from the engine):
 * one launch line in, start-up messages out (see protocol.ts).
 */
import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import type { SyncMessage } from './protocol.js';

const SYNC_FD = 3;

/**
 * The sync pipe: one launch line in, start-up messages out, closed after
 * `started` or `error` so the engine can return. One net.Socket owns the fd
 * for both directions. Without fd 3 (a monitor started by hand) every
 * method is a no-op.
 */
export class SyncChannel {
  private socket?: Socket;
  private closed?: Promise<void>;

  constructor() {
    try {
      fstatSync(SYNC_FD);
      this.socket = new Socket({ fd: SYNC_FD, readable: true, writable: true });
      this.socket.on('error', () => undefined);
    } catch {
      this.socket = undefined; // started by hand, without an engine
    }
  }

  /** The first line the engine sends, or undefined at EOF. */
  readLine(): Promise<string | undefined> {
    const socket = this.socket;
    if (!socket) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let text = '';
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        const nl = text.indexOf('\n');
        if (nl < 0) return;
        socket.off('data', onData);
        socket.pause();
        resolve(text.slice(0, nl));
      };
      socket.on('data', onData);
      socket.once('end', () => resolve(undefined));
    });
  }

  /**
   * Sends one message. `listening` leaves the pipe open; any other message
   * is the last: the pipe is closed after it and later sends are dropped.
   */
  send(message: SyncMessage): void {
    const socket = this.socket;
    if (!socket) return;
    const line = JSON.stringify(message) + '\n';
    if (message.event === 'listening') {
      socket.write(line);
      return;
    }
    this.socket = undefined;
    this.closed = new Promise((resolve) => socket.end(line, () => resolve()));
  }

  /** Resolves once a final message has been written out. */
  async flush(): Promise<void> {
    await this.closed;
  }
}
