// A small HTTP proxy in front of a test registry: it logs every request
// ("METHOD content-range", e.g. "PATCH 0-65535") and can cut connections, so
// tests see how a client really talked to the registry.
//   const proxy = await startProxy(reg);
//   ... point the client at proxy.host ...
//   await proxy.close();
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestRegistry } from './registry.js';

export interface Proxy {
  /** '127.0.0.1:PORT' of the proxy. */
  host: string;
  /** One line per request, in arrival order: method, then the Content-Range if any. */
  log: string[];
  close(): Promise<void>;
}

/**
 * What to do with the n-th PATCH (counted from 1): 'before' cuts the
 * connection before any of the chunk reaches the registry, 'inside' after
 * half of it has; undefined forwards it whole.
 */
export type DropPatch = (patch: number) => 'before' | 'inside' | undefined;

/**
 * Forwards every request to the (plain http) registry, keeping the Host
 * header so the registry's upload locations point back at the proxy.
 */
export async function startProxy(reg: TestRegistry, drop: DropPatch = () => undefined): Promise<Proxy> {
  const log: string[] = [];
  let patches = 0;
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    log.push(`${req.method} ${req.headers['content-range'] ?? ''}`.trim());
    const how = req.method === 'PATCH' ? drop(++patches) : undefined;
    if (how === 'before') {
      req.socket.destroy();
      return;
    }
    const upstream = http.request({ host: '127.0.0.1', port: reg.port, method: req.method, path: req.url, headers: req.headers });
    upstream.on('response', (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    if (how === 'inside') {
      const half = Number(req.headers['content-length']) >> 1;
      let sent = 0;
      req.on('data', (chunk: Buffer) => {
        if (sent >= half) return;
        const part = chunk.subarray(0, half - sent);
        sent += part.length;
        upstream.write(part);
        if (sent >= half) {
          // Let the registry take the half chunk, then cut both sides.
          setTimeout(() => {
            upstream.destroy();
            req.socket.destroy();
          }, 200);
        }
      });
      return;
    }
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
