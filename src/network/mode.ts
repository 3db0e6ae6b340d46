import { InvalidArgumentError } from '../util/errors.js';
import type { NetworkMode } from '../runtime/spec/container-spec.js';

/**
 * A --network value as the user gave it, before the engine looks anything
 * up: `container:` still names the other container as typed.
 */
export type RequestedNetworkMode =
  | Exclude<NetworkMode, { mode: 'container' }>
  | { mode: 'container'; nameOrId: string };

/**
 * Parses --network as podman does: none, host, slirp4netns[:OPTIONS],
 * private (slirp4netns for a rootless engine), container:NAME|ID and ns:PATH.
 */
export function parseNetworkMode(value: string): RequestedNetworkMode {
  const [mode, opts = ''] = value.split(/:(.*)/s, 2);
  const hasOpts = value.includes(':');
  if (mode === 'none' || mode === 'host') {
    if (hasOpts) throw new InvalidArgumentError(`network mode "${mode}" takes no options`);
    return { mode };
  }
  if (mode === 'container') {
    if (!opts) throw new InvalidArgumentError('must provide name or ID or a container when specifying "container:"');
    return { mode: 'container', nameOrId: opts };
  }
  if (mode === 'ns') {
    if (!opts) throw new InvalidArgumentError('must provide a path to a namespace when specifying "ns:"');
    if (!opts.startsWith('/')) throw new InvalidArgumentError(`invalid network namespace path "${opts}": must be an absolute path`);
    return { mode: 'ns', path: opts };
  }
  // podman: private is bridge for root and slirp4netns rootless; skiff has no bridge yet.
  if (mode === 'private' && !hasOpts) return { mode: 'slirp4netns', allowHostLoopback: false, mtu: 65520 };
  if (mode === 'slirp4netns' || mode === 'default' || mode === '') {
    let allowHostLoopback = false;
    let mtu = 65520;
    for (const opt of opts.split(',').filter(Boolean)) {
      const [k, v] = opt.split('=');
      if (k === 'allow_host_loopback') allowHostLoopback = v === 'true';
      else if (k === 'mtu' && /^\d+$/.test(v)) mtu = Number(v);
      else throw new InvalidArgumentError(`unknown slirp4netns option "${opt}": supported are allow_host_loopback=true|false and mtu=N`);
    }
    return { mode: 'slirp4netns', allowHostLoopback, mtu };
  }
  throw new InvalidArgumentError(`unsupported network mode "${value}": use none, host, private, slirp4netns, container:NAME or ns:PATH`, { hint: 'bridge networks and pasta are not available yet' });
}
