/**
 * The command words of every command that runs as root of the rootless user
 * namespace (`userns: true` in its definition; a structural test keeps the
 * two in step). main() re-executes these inside the namespace before the
 * command table loads: the table is a third of the CLI's start-up, and the
 * re-executed CLI loads it anyway.
 */
export const NAMESPACED_COMMANDS: ReadonlySet<string> = new Set([
  'image pull', 'pull',
  'image import', 'import',
  'image load', 'load',
  'image rm', 'image remove', 'rmi',
  'image prune',
  'system prune', 'system df', 'system reset', 'system migrate',
  'container stop', 'stop',
  'container kill', 'kill',
  'container rm', 'container remove', 'rm',
  'container export', 'export',
  'container diff', 'diff',
  'container commit', 'commit',
  'image build', 'build',
  'container restart', 'restart',
  'container prune',
  'container top', 'top',
  'container stats', 'stats',
  'container cp', 'cp',
  'container pause', 'pause',
  'container unpause', 'unpause',
  'network connect', 'network disconnect', 'network reload',
  'volume rm', 'volume remove', 'volume prune',
  'volume export', 'volume import', 'volume unmount', 'volume umount',
  'container umount', 'umount', 'container unmount', 'unmount',
]);

/** Whether the words after the global flags name a namespaced command (two-word forms first). */
export function isNamespacedCommand(rest: readonly string[]): boolean {
  if (rest.length >= 2 && NAMESPACED_COMMANDS.has(`${rest[0]} ${rest[1]}`)) return true;
  return rest.length >= 1 && NAMESPACED_COMMANDS.has(rest[0]);
}
