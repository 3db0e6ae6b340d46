import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText } from '../../output/print.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const diffCommand: CommandDefinition = {
  path: ['container', 'diff'],
  aliases: [['diff']],
  describe: "Inspect changes to the container's file systems",
  synopsis: '[options] CONTAINER|IMAGE',
  examples: [
    ['skiff diff web', 'A, C and D lines: what the container web added, changed and deleted'],
    ['skiff diff --format json localhost/bb', "what the image's top layer changes, as JSON"],
  ],
  options: {
    format: { type: 'string', describe: 'Change the output format (json)' },
  },
  positionals: { min: 1, max: 1 },
  // Directories of sub-ids are readable only as root of the user namespace.
  userns: true,
  async run(args, global) {
    const format = args.format as string | undefined;
    if (format !== undefined && format !== 'json') throw new InvalidArgumentError("only supported value for '--format' is 'json'");
    const { diff } = await import('../../../engine/container/diff.js');
    const report = await diff(await engineContext(global), { target: args._[0] });
    if (format === 'json') {
      // podman's ChangesReportJSON: each list sorted, empty ones left out, five-space indent.
      const body: Record<string, string[]> = {};
      for (const [key, kind] of [['changed', 'C'], ['added', 'A'], ['deleted', 'D']] as const) {
        const paths = report.changes.filter((c) => c.kind === kind).map((c) => c.path).sort();
        if (paths.length) body[key] = paths;
      }
      printText(JSON.stringify(body, null, 5) + '\n');
    } else {
      printText(report.changes.map((c) => `${c.kind} ${c.path}\n`).join(''));
    }
    return 0;
  },
};
