import type { GlobalOptions } from '../../../config/global-options.js';
import type { MonitorFork } from '../../../engine/container/start.js';
import type { CommandDefinition, ParsedArgs } from '../../command.js';
import { engineContext } from '../../context.js';
import { forEachTarget } from '../../multi-target.js';
import { terminalStreams } from '../../terminal.js';
import { parseDetachKeys } from '../../detach-keys.js';
import { DETACH_KEYS_OPTION } from '../../options/attach-options.js';
import { FILTER_OPTION, LATEST_OPTION, targetFlags } from '../../options/container-targets.js';
import { takePreforkedMonitor } from '../../prefork.js';

export const startCommand: CommandDefinition = {
  path: ['container', 'start'],
  aliases: [['start']],
  describe: 'Start one or more containers',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [
    ['skiff start web', 'start the container named web'],
    ['skiff start -a job', "start job and print its output; exits with job's code"],
    ['skiff start -ai box', "start box and attach to its terminal; ctrl-p ctrl-q detaches"],
    ['skiff start --all --filter exited=0', 'start again every container that ended well; prints their ids'],
  ],
  options: {
    all: { type: 'boolean', default: false, describe: 'Start all containers that are not running' },
    attach: { alias: 'a', type: 'boolean', default: false, describe: "Attach container's STDOUT and STDERR" },
    'detach-keys': DETACH_KEYS_OPTION,
    filter: FILTER_OPTION,
    interactive: { alias: 'i', type: 'boolean', default: false, describe: "Attach container's STDIN" },
    latest: LATEST_OPTION,
    // No default: podman refuses it without --attach, so whether it was given matters.
    'sig-proxy': { type: 'boolean', describe: 'Proxy received signals to the process (default true if attaching, false otherwise)' },
  },
  positionals: { min: 0 },
  async run(args, global) {
    // main() forked a monitor as the command began (prefork.ts): the first container started takes it.
    let monitor = await takePreforkedMonitor(global.runroot);
    try {
      return await startTargets(args, global, () => {
        const taken = monitor;
        monitor = undefined;
        return taken;
      });
    } finally {
      monitor?.abort();
    }
  },
};

async function startTargets(args: ParsedArgs, global: GlobalOptions, takeMonitor: () => MonitorFork | undefined): Promise<number> {
  const { startContainer } = await import('../../../engine/container/start.js');
  const { InvalidArgumentError } = await import('../../../util/errors.js');
  const flags = targetFlags(args);
  // podman's checks and messages (validateStart).
  const named = flags.names.length > 0;
  if (!named && !flags.latest && !flags.all && !flags.filters.length) throw new InvalidArgumentError('start requires at least one argument');
  if (flags.all && flags.latest) throw new InvalidArgumentError('--all and --latest cannot be used together');
  if (named && flags.latest) throw new InvalidArgumentError('--latest and containers cannot be used together');
  if (flags.names.length > 1 && args.attach) throw new InvalidArgumentError('you cannot start and attach multiple containers at once');
  if ((named || flags.latest) && flags.all) throw new InvalidArgumentError('either start all containers or the container(s) provided in the arguments');
  if (args.attach && flags.all) throw new InvalidArgumentError('you cannot start and attach all containers at once');
  if (args['sig-proxy'] !== undefined && !args.attach) throw new InvalidArgumentError('you cannot use sig-proxy without --attach');
  const ctx = await engineContext(global);
  const { selectContainers } = await import('../../../engine/container/select.js');
  // --all starts those not running; a running container named or filtered is started again as a no-op.
  const targets = await selectContainers(ctx, { ...flags, states: flags.all ? ['created', 'stopped', 'exited'] : undefined });
  if (args.attach) {
    if (targets.length !== 1) {
      if (targets.length === 0) return 0;
      throw new InvalidArgumentError('you cannot start and attach multiple containers at once');
    }
    const detachKeys = parseDetachKeys(String(args['detach-keys']));
    const { resolveContainer } = await import('../../../engine/container/record.js');
    const info = await resolveContainer(ctx, targets[0]);
    // As podman (containers/podman#4259): stdin is attached when the container was
    // created with -i, whether or not start has -i; without -a, -i changes nothing.
    const terminal = terminalStreams({
      tty: info.record.spec.terminal,
      interactive: info.record.interactive,
      detachKeys,
      sigProxy: args['sig-proxy'] !== false,
    });
    try {
      // Detached: podman prints nothing and exits 0; the container runs on.
      return (await startContainer(ctx, targets[0], { attach: terminal.streams, monitor: takeMonitor() })).exitCode ?? 0;
    } finally {
      terminal.restore();
    }
  }
  return forEachTarget('container start', targets, async (target) => {
    await startContainer(ctx, target, { monitor: takeMonitor() });
    return target;
  });
}
