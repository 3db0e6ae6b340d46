import type { CommandDefinition, ParsedArgs } from '../../command.js';
import { engineContext } from '../../context.js';
import { printText, printWarning } from '../../output/print.js';
import type { ContainerStatsOptions } from '../../../engine/container/stats.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const statsCommand: CommandDefinition = {
  path: ['container', 'stats'],
  aliases: [['stats']],
  describe: 'Display a live stream of container resource usage statistics',
  synopsis: '[options] [CONTAINER...]',
  examples: [
    ['skiff stats', 'redraw CPU, memory, network and block I/O and PIDs of every running container each 5 seconds, until Ctrl-C'],
    ['skiff stats --all --no-stream', 'one table of every container (those not running show zeros), then exit'],
    ['skiff stats -i 1 --no-reset web', 'web every second, one table after the other'],
    ["skiff stats --no-stream --format 'table {{.ID}}\\t{{.Name}}\\t{{.MemUsage}}' web", 'chosen columns through a Go template'],
    ['skiff stats --no-stream --format json web', 'the figures as JSON'],
  ],
  options: {
    all: { alias: 'a', type: 'boolean', default: false, describe: 'Show all containers. Only running containers are shown by default' },
    format: { type: 'string', describe: "Pretty-print container statistics to JSON or using a Go template ('json', 'table {{.ID}}\\t{{.CPUPerc}}')" },
    interval: { alias: 'i', type: 'number', default: 5, describe: 'Time in seconds between stats reports' },
    latest: { alias: 'l', type: 'boolean', default: false, describe: 'Act on the latest container skiff is aware of' },
    'no-reset': { type: 'boolean', default: false, describe: 'Disable resetting the screen between intervals' },
    'no-stream': { type: 'boolean', default: false, describe: 'Disable streaming stats and only pull the first result' },
    'no-trunc': { type: 'boolean', default: false, describe: 'Do not truncate output' },
  },
  positionals: { min: 0 },
  userns: true,
  async run(args, global) {
    const { engine, interval, noStream, noReset, noTrunc, format } = toOptions(args);
    const { ContainerStatsSession } = await import('../../../engine/container/stats.js');
    const { renderStats } = await import('../../output/views/container-stats-view.js');
    const session = new ContainerStatsSession(await engineContext(global), engine);

    // Ctrl-C and SIGTERM end the stream as podman ends it: with exit 0.
    let stopped = false;
    let wake = () => {};
    const stop = () => {
      stopped = true;
      wake();
    };
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, stop);
    // A reader that went away (`| head`) ends it too.
    process.stdout.on('error', stop);

    // Clearing only makes sense on a terminal (podman's goterm writes nothing to a pipe).
    const clear = !noStream && !noReset && process.stdout.isTTY;
    let toldSource = false;
    for (;;) {
      const reports = await session.frame();
      if (stopped) return 0;
      const text = await renderStats(reports, { format, noTrunc });
      printText((clear ? '\x1b[2J\x1b[1;1H' : '') + text);
      // After the frame: on a terminal, the next frame's clearing would wipe it before anyone could read it.
      if (!toldSource && reports.some((r) => r.source === 'proc')) {
        toldSource = true;
        printWarning('no cgroup v2 statistics for these containers: figures come from /proc (CPU: utime+stime of their processes, memory: sum of their PSS, block I/O: /proc/PID/io, net I/O: /proc/PID/net/dev of their network namespace)');
      }
      if (noStream) return 0;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval * 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (stopped) return 0;
    }
  },
};

interface StatsCliOptions {
  engine: ContainerStatsOptions;
  /** Seconds between frames. */
  interval: number;
  noStream: boolean;
  noReset: boolean;
  noTrunc: boolean;
  format?: string;
}

/** The only place raw argv is read; podman's checks and messages, in its order. */
function toOptions(args: ParsedArgs): StatsCliOptions {
  const containers = args._.map(String);
  const given = [Boolean(args.all), Boolean(args.latest), containers.length > 0].filter(Boolean).length;
  if (given > 1) throw new InvalidArgumentError('--all, --latest and containers cannot be used together');
  const interval = Number(args.interval);
  if (!Number.isInteger(interval)) {
    throw new InvalidArgumentError(`invalid argument "${String(args.interval)}" for "-i, --interval" flag: strconv.ParseInt: parsing "${String(args.interval)}": invalid syntax`);
  }
  if (interval < 1) throw new InvalidArgumentError('invalid interval, must be a positive number greater zero');
  return {
    engine: { all: Boolean(args.all), latest: Boolean(args.latest), containers },
    interval,
    noStream: Boolean(args['no-stream']),
    noReset: Boolean(args['no-reset']),
    noTrunc: Boolean(args['no-trunc']),
    format: args.format === undefined ? undefined : String(args.format),
  };
}
