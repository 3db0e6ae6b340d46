import { InvalidArgumentError } from '../util/errors.js';
import type { NetworkMode } from '../runtime/spec/container-spec.js';
import { parseSlirpOptions } from './slirp4netns.js';

/**
 * A --network value as the user gave it, before the engine looks anything
 * up: `container:` still names the other container as typed.
 */
export type RequestedNetworkMode =
  | Exclude<NetworkMode, { mode: 'container' }>
  | { mode: 'container'; nameOrId: string };

/**
 * Parses --network as podman does: none, host, slirp4netns[:OPTIONS],
 * pasta[:OPTIONS], private (slirp4netns for a rootless engine),
 * container:NAME|ID and ns:PATH. `default` (or nothing) is `defaultMode`,
 * the rootless network command containers.conf or the host decides.
 */
export function parseNetworkMode(value: string, defaultMode: 'slirp4netns' | 'pasta' = 'slirp4netns'): RequestedNetworkMode {
  let [mode, opts = ''] = value.split(/:(.*)/s, 2);
  const hasOpts = value.includes(':');
  if (mode === 'default' || mode === '') mode = defaultMode;
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
  // podman: private is bridge for root and slirp4netns rootless.
  if (mode === 'private' && !hasOpts) mode = 'slirp4netns';
  if (mode === 'pasta') return { mode, options: opts.split(',').filter(Boolean) };
  if (mode === 'slirp4netns') return { mode, ...parseSlirpOptions(opts.split(',').filter(Boolean)) };
  throw new InvalidArgumentError(`unsupported network mode "${value}": use none, host, private, slirp4netns, pasta, container:NAME or ns:PATH`);
}
