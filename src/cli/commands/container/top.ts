import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printLines, printText } from '../../output/print.js';

export const topCommand: CommandDefinition = {
  path: ['container', 'top'],
  aliases: [['top']],
  describe: 'Display the running processes of a container',
  synopsis: 'CONTAINER [FORMAT-DESCRIPTORS|ARGS...]',
  examples: [
    ['skiff top web', 'USER PID PPID %CPU ELAPSED TTY TIME COMMAND of every process in web'],
    ['skiff top web pid huser hpid args', 'container pid, host user and host pid of each process (also as AIX codes: %p %a)'],
    ['skiff top web -ef', "other arguments go to the host's ps(1), limited to web's processes (host pids and names)"],
  ],
  options: {},
  positionals: { min: 1 },
  // Everything after CONTAINER is a descriptor or a ps(1) argument (-ef, aux), never a skiff flag.
  stopAfterPositionals: 1,
  userns: true,
  async run(args, global) {
    const { containerTop } = await import('../../../engine/container/top.js');
    const report = await containerTop(await engineContext(global), args._[0], args._.slice(1));
    if (report.psOutput !== undefined) {
      printText(report.psOutput + '\n');
      return 0;
    }
    printLines(table(report.rows));
    return 0;
  },
};

/** podman's tabwriter layout: every column but the last at least 12 wide, two spaces after the widest cell. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(12, ...rows.map((r) => r[i].length + 2)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join(''));
}
