import { InvalidArgumentError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import { listContainers, resolveContainer, type PortMapping } from './record.js';

export { portsToString, portBindings } from '../../network/ports.js';

export interface ContainerPortOptions {
  /** Every container (`-a`) instead of one. */
  all?: boolean;
  latest?: boolean;
}

export interface ContainerPortReport {
  id: string;
  ports: PortMapping[];
}

/**
 * The published ports of running containers with any (`skiff port`): the
 * named one, the latest (`-l`) or all (`-a`). As podman, a container that is
 * not running, or publishes nothing, yields no report; an unknown name
 * throws NoSuchContainerError. Reads the records without locks.
 */
export async function containerPorts(ctx: EngineContext, nameOrId: string | undefined, options: ContainerPortOptions = {}): Promise<ContainerPortReport[]> {
  const containers = options.all || options.latest
    ? await listContainers(ctx, { all: true, latest: options.latest })
    : [await resolveContainer(ctx, nameOrId ?? '')];
  return containers
    .filter((c) => c.state.status === 'running' && (c.record.ports?.length ?? 0) > 0)
    .map((c) => ({ id: c.record.id, ports: c.record.ports! }));
}

/** A `PORT[/PROTO]` argument of `skiff port`; the protocol defaults to tcp. */
export function parsePortQuery(value: string): { port: number; protocol: string } {
  const fields = value.split('/');
  if (fields.length > 2 || !/^\d+$/.test(fields[0]) || Number(fields[0]) > 65535) {
    throw new InvalidArgumentError(`invalid port "${value}": port formats are PORT[/PROTOCOL], a number up to 65535`);
  }
  return { port: Number(fields[0]), protocol: fields[1] || 'tcp' };
}

/**
 * podman's `port` output lines: `80/tcp -> 0.0.0.0:8080` for every port of
 * every range and protocol (prefixed by the short id and a tab with `all`),
 * or with `query` only `HOSTIP:HOSTPORT` of the first match per report.
 * `found` says whether a query matched (podman fails when one did not).
 */
export function formatPorts(reports: ContainerPortReport[], options: { all?: boolean; query?: { port: number; protocol: string } }): { lines: string[]; found: boolean } {
  const lines: string[] = [];
  let found = false;
  for (const report of reports) {
    const prefix = options.all ? `${report.id.slice(0, 12)}\t` : '';
    for (const mapping of report.ports) {
      const hostIp = mapping.hostIp || '0.0.0.0';
      for (const protocol of mapping.protocol.split(',')) {
        for (let i = 0; i < Math.max(1, mapping.range); i++) {
          if (!options.query) {
            lines.push(`${prefix}${mapping.containerPort + i}/${protocol} -> ${hostIp}:${mapping.hostPort + i}`);
          } else if (mapping.containerPort + i === options.query.port && protocol === options.query.protocol && !found) {
            lines.push(`${hostIp}:${mapping.hostPort + i}`);
            found = true;
          }
        }
      }
    }
  }
  return { lines, found };
}
