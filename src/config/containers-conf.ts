/**
 * containers.conf(5), the part skiff follows: `[network]
 * default_rootless_network_cmd`. Read as podman does: the system files
 * (/usr/share/containers, then /etc/containers) and then the user's
 * ($XDG_CONFIG_HOME/containers/containers.conf), a later file's key
 * winning; $CONTAINERS_CONF, when set, is the only file.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { SkiffError, isErrno } from '../util/errors.js';

export interface ContainersConf {
  network?: {
    /** slirp4netns or pasta: the network of a rootless container without --network. */
    defaultRootlessNetworkCmd?: string;
  };
}

/** The files read, lowest precedence first. */
export function containersConfFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.CONTAINERS_CONF) return [env.CONTAINERS_CONF];
  const configHome = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf', join(configHome, 'containers', 'containers.conf')];
}

/** Reads and merges containers.conf; a missing file is skipped, a broken one throws naming it. */
export function readContainersConf(files = containersConfFiles()): ContainersConf {
  const out: ContainersConf = {};
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'EACCES')) continue;
      throw err;
    }
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(text) as Record<string, unknown>;
    } catch (err) {
      throw new SkiffError('ECONFIG', `decoding configuration file "${file}": ${(err as Error).message.split('\n')[0]}`);
    }
    const network = doc.network as Record<string, unknown> | undefined;
    const cmd = network?.default_rootless_network_cmd;
    if (typeof cmd === 'string') out.network = { ...out.network, defaultRootlessNetworkCmd: cmd };
  }
  return out;
}
