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
    ['skiff diff -l', 'what the container created last changed'],
  ],
  options: {
    format: { type: 'string', describe: 'Change the output format (json)' },
    latest: { alias: 'l', type: 'boolean', default: false, describe: 'Act on the latest container skiff is aware of' },
  },
  positionals: { min: 0, max: 1 },
  // Directories of sub-ids are readable only as root of the user namespace.
  userns: true,
  async run(args, global) {
    const format = args.format as string | undefined;
    if (format !== undefined && format !== 'json') throw new InvalidArgumentError("only supported value for '--format' is 'json'");
    if (args.latest && args._.length) throw new InvalidArgumentError('--latest and containers cannot be used together');
    if (!args.latest && args._.length === 0) throw new InvalidArgumentError('`skiff diff` requires a container or image name or ID, or --latest');
    const { diff } = await import('../../../engine/container/diff.js');
    const ctx = await engineContext(global);
    let target = args._[0];
    if (args.latest) {
      const { listContainers } = await import('../../../engine/container/record.js');
      const latest = await listContainers(ctx, { latest: true });
      if (latest.length === 0) throw new InvalidArgumentError('no containers to diff: --latest found none');
      target = latest[0].record.id;
    }
    const report = await diff(ctx, { target });
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
