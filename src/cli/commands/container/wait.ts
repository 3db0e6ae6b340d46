import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { LATEST_OPTION } from '../../options/container-targets.js';

export const waitCommand: CommandDefinition = {
  path: ['container', 'wait'],
  aliases: [['wait']],
  describe: 'Block on one or more containers',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [
    ['skiff wait job', 'wait for job to exit and print its exit code'],
    ['skiff wait --condition running web', 'wait until web runs (prints -1)'],
  ],
  options: {
    condition: {
      type: 'string',
      array: true,
      describe: 'Condition to wait on: stopped or exited (the default: prints the exit code), or a state: created, running, paused, removing, unknown (prints -1)',
    },
    interval: { alias: 'i', type: 'string', default: '250ms', describe: 'Time interval to wait before polling for completion (a duration: 250ms, 1s; a bare number is milliseconds)' },
    latest: LATEST_OPTION,
  },
  positionals: { min: 0 },
  async run(args, global) {
    const { InvalidArgumentError } = await import('../../../util/errors.js');
    const { WAIT_CONDITIONS, waitContainer } = await import('../../../engine/container/lifecycle.js');
    if (args._.length && args.latest) throw new InvalidArgumentError('--latest and containers cannot be used together');
    if (!args._.length && !args.latest) throw new InvalidArgumentError('"skiff wait" requires a name, id, or the "--latest" flag');
    const conditions = ((args.condition as string[] | undefined) ?? []).map(String);
    for (const condition of conditions) {
      if (!(WAIT_CONDITIONS as readonly string[]).includes(condition)) throw new InvalidArgumentError(`unknown container state: ${condition}: invalid argument`);
    }
    const intervalMs = await parseInterval(String(args.interval));
    const ctx = await engineContext(global);
    let targets = args._;
    if (args.latest) {
      const { selectContainers } = await import('../../../engine/container/select.js');
      targets = await selectContainers(ctx, { names: [], latest: true });
    }
    return forEachTarget('container wait', targets, async (target) => {
      const code = await waitContainer(ctx, target, { conditions: conditions as typeof WAIT_CONDITIONS[number][], intervalMs });
      // A --rm container is gone by the time we look; podman prints -1 for it too.
      return String(code ?? -1);
    });
  },
};

/** --interval as podman reads it: a Go duration, or a bare number of milliseconds. */
async function parseInterval(value: string): Promise<number> {
  const { InvalidArgumentError } = await import('../../../util/errors.js');
  const { parseGoDuration } = await import('../../../engine/container/filters.js');
  const ms = /^\d+$/.test(value) ? Number(value) : parseGoDuration(value);
  if (ms === undefined) throw new InvalidArgumentError(`time: invalid duration "${value}"`);
  return ms;
}
