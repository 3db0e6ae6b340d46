/**
 * How a container's mounts show: inspect's Mounts and HostConfig, and ps's
 * volume= filter. Light on purpose: ps loads it.
 */
import type { ContainerRecord } from '../record.js';

/** inspect's Mounts, HostConfig.Binds and HostConfig.Tmpfs of a container, as podman shows them. */
export function inspectMounts(record: ContainerRecord): { mounts: Record<string, unknown>[]; binds: string[]; tmpfs: Record<string, string> } {
  const mounts: Record<string, unknown>[] = [];
  const binds: string[] = [];
  for (const m of record.mounts ?? []) {
    if (m.type === 'tmpfs') continue;
    if (m.type === 'image') {
      // podman (060-mount "--mount image inspection"): the image as given is the source.
      mounts.push({ Type: 'image', Source: m.name, Destination: m.destination, Driver: '', Mode: '', Options: [], RW: m.rw, Propagation: '' });
      continue;
    }
    // podman shows devpts as a bind of "devpts", with no options.
    const devpts = m.type === 'devpts';
    mounts.push({
      Type: devpts ? 'bind' : m.type,
      ...(m.type === 'volume' ? { Name: m.name } : {}),
      Source: m.source,
      Destination: m.destination,
      Driver: m.type === 'volume' ? 'local' : '',
      Mode: '',
      Options: devpts ? [] : m.options,
      RW: m.rw,
      Propagation: devpts ? '' : m.propagation,
    });
    const source = m.type === 'volume' ? m.name : m.source;
    binds.push(devpts ? `${source}:${m.destination}` : `${source}:${m.destination}:${[m.rw ? 'rw' : 'ro', m.propagation, ...m.options].filter(Boolean).join(',')}`);
  }
  const tmpfs: Record<string, string> = {};
  for (const m of record.spec.mounts ?? []) if (m.type === 'tmpfs') tmpfs[m.destination] = m.options.join(',');
  return { mounts, binds, tmpfs };
}

/**
 * ps --filter volume=: podman's (NAME|SOURCE)[:DEST], matched against the
 * container's named volumes and its mounts' sources.
 */
export function usesVolume(record: ContainerRecord, value: string): boolean {
  const at = value.indexOf(':');
  const source = at < 0 ? value : value.slice(0, at);
  const dest = at < 0 ? undefined : value.slice(at + 1);
  const hit = (s: string | undefined, d: string) => s === source && (dest === undefined || dest === d);
  return (record.spec.mounts ?? []).some((m) => hit(m.source, m.destination)) || (record.volumes ?? []).some((v) => hit(v.name, v.destination));
}
