import type { CommandDefinition, OptionSpec } from './command.js';
import { GLOBAL_OPTIONS } from './parse.js';

/** `skiff --help`: every command with its description, from the command table. */
export function rootHelp(commands: CommandDefinition[]): string {
  const rows = commands.flatMap((c) => [c.path, ...c.aliases].filter((p) => p.length === 1).map((p) => [p[0], c.describe]));
  const groups = [...new Set(commands.filter((c) => c.path.length > 1).map((c) => c.path[0]))];
  for (const g of groups) rows.push([g, g === 'system' ? 'Manage skiff itself' : `Manage ${g}s`]);
  rows.sort((a, b) => a[0].localeCompare(b[0]));
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  return [
    'Manage pods, containers and images — rootless, daemonless, podman-compatible',
    '',
    'Usage:',
    '  skiff [options] COMMAND',
    '',
    'Available Commands:',
    ...rows.map(([n, d]) => `  ${n.padEnd(width)}${d}`),
    '',
    'Options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
  ].join('\n');
}

/** `skiff container` (a group alone): its subcommands, as podman lists them. */
export function groupHelp(group: string, commands: CommandDefinition[]): string | undefined {
  const rows = commands.flatMap((c) => [c.path, ...c.aliases].filter((p) => p.length === 2 && p[0] === group).map((p) => [p[1], c.describe]));
  if (rows.length === 0) return undefined;
  rows.sort((a, b) => a[0].localeCompare(b[0]));
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  return [`Manage ${group}s`, '', 'Usage:', `  skiff ${group} COMMAND`, '', 'Available Commands:', ...rows.map(([n, d]) => `  ${n.padEnd(width)}${d}`), ''].join('\n');
}

/** `skiff CMD --help`: usage, examples and flags of one command. */
export function commandHelp(command: CommandDefinition): string {
  const name = command.path.join(' ');
  const lines = [command.describe, '', 'Usage:', `  skiff ${name} ${command.synopsis}`];
  const aliases = command.aliases.map((a) => `skiff ${a.join(' ')}`);
  if (aliases.length) lines.push('', 'Aliases:', `  ${aliases.join(', ')}`);
  if (command.examples.length) lines.push('', 'Examples:', ...command.examples.map(([cmd, what]) => `  ${cmd}\n      ${what}`));
  if (Object.keys(command.options).length) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Global Options:', ...optionLines(GLOBAL_OPTIONS), '');
  return lines.join('\n');
}

/** `-a, --all   description` lines, as cobra prints them. */
export function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const aliases = [spec.alias ?? []].flat();
    const short = aliases.find((a) => a.length === 1);
    const longAliases = aliases.filter((a) => a.length > 1).map((a) => `, --${a}`).join('');
    const value = spec.type === 'boolean' ? '' : spec.type === 'number' ? ' int' : spec.array ? ' stringArray' : ' string';
    return [`${short ? `-${short}, ` : '    '}--${name}${longAliases}${value}`, spec.describe ?? ''];
  });
  const width = Math.max(0, ...rows.map((r) => r[0].length)) + 3;
  return rows.map(([flag, d]) => `  ${flag.padEnd(width)}${d}`);
}
