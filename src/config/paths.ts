import { homedir } from 'node:os';
import { join } from 'node:path';

/** True when skiff runs as real root (rootful: no pause namespace). */
export function isRootUser(): boolean {
  return process.getuid?.() === 0 && !process.env.SKIFF_USERNS_PID;
}

/** The graph root: persistent images, layers, containers. */
export function defaultGraphRoot(): string {
  if (isRootUser()) return '/var/lib/skiff';
  const dataHome = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(dataHome, 'skiff');
}

/** The run root: pause pid, locks, sockets; gone after reboot. */
export function defaultRunRoot(): string {
  if (isRootUser()) return '/run/skiff';
  const runtimeDir = process.env.XDG_RUNTIME_DIR;
  // podman falls back to /tmp/podman-run-UID when there is no XDG_RUNTIME_DIR.
  return runtimeDir ? join(runtimeDir, 'skiff') : `/tmp/skiff-run-${process.getuid?.()}`;
}

export function defaultConfigFile(): string {
  if (isRootUser()) return '/etc/skiff/skiff.toml';
  const configHome = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(configHome, 'skiff', 'skiff.toml');
}
