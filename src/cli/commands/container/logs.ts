import { once } from 'node:events';
import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const logsCommand: CommandDefinition = {
  path: ['container', 'logs'],
  aliases: [['logs']],
  describe: 'Fetch the logs of a container',
  synopsis: '[options] CONTAINER [CONTAINER...]',
  examples: [
    ['skiff logs -f web', 'print the log of web and follow new output until it exits'],
    ['skiff logs --tail 5 web', 'only the last 5 lines'],
    ['skiff logs --since 10m -t web', 'the last ten minutes, each line with its time'],
    ['skiff logs -f --names web db', 'both logs as they come, each line after its container\'s name'],
  ],
  options: {
    follow: { alias: 'f', type: 'boolean', default: false, describe: 'Follow log output' },
    latest: { alias: 'l', type: 'boolean', default: false, describe: 'Act on the latest container skiff is aware of' },
    names: { alias: 'n', type: 'boolean', default: false, describe: 'Output the container name in the log (with several containers; the ID otherwise)' },
    since: { type: 'string', describe: 'Show logs since TIMESTAMP (RFC 3339 time, Unix seconds, or a duration such as 10m)' },
    until: { type: 'string', describe: 'Show logs until TIMESTAMP (RFC 3339 time, Unix seconds, or a duration such as 10m)' },
    tail: { type: 'number', default: -1, describe: 'Output the specified number of lines at the end of logs (-1 for all)' },
    timestamps: { alias: 't', type: 'boolean', default: false, describe: 'Output the timestamps in the log' },
  },
  positionals: { min: 0 },
  async run(args, global) {
    const { containerLogs, parseInputTime } = await import('../../../engine/container/logs.js');
    const { listContainers, resolveContainer } = await import('../../../engine/container/record.js');
    const tail = Number(args.tail);
    if (!Number.isInteger(tail)) throw new InvalidArgumentError(`invalid --tail value "${args.tail}"`);
    const since = args.since === undefined ? undefined : parseInputTime(String(args.since), true);
    const until = args.until === undefined ? undefined : parseInputTime(String(args.until), false);
    const ctx = await engineContext(global);
    if (args.latest && args._.length) throw new InvalidArgumentError('--latest and containers cannot be used together');
    if (!args.latest && args._.length === 0) throw new InvalidArgumentError('`skiff logs` requires at least one container name or ID, or --latest');
    const targets = args.latest ? (await listContainers(ctx, { latest: true })).map((c) => c.record.id) : args._;
    if (targets.length === 0) throw new InvalidArgumentError('no containers to show the logs of');
    // Every container is looked up before any output, so a wrong name prints nothing.
    const infos = await Promise.all(targets.map((t) => resolveContainer(ctx, t)));
    // As podman: lines get a prefix only when several containers share the output.
    const prefix = (info: (typeof infos)[number]) => (infos.length < 2 ? undefined : `${args.names ? info.record.name : info.record.id.slice(0, 12)} `);
    // A reader that goes away (`skiff logs x | head`) ends us quietly, as SIGPIPE ends podman.
    let closed = false;
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      closed = true;
    };
    process.stdout.on('error', onError);
    process.stderr.on('error', onError);
    // Container output is data, not CLI messages: it is copied byte for byte,
    // and no faster than stdout takes it (a log can be gigabytes).
    await Promise.all(infos.map(async (info) => {
      const options = { follow: Boolean(args.follow), tail: tail < 0 ? undefined : tail, timestamps: Boolean(args.timestamps), since, until, prefix: prefix(info) };
      for await (const chunk of containerLogs(ctx, info.record.id, options)) {
        if (closed) break;
        const out = chunk.stream === 'stdout' ? process.stdout : process.stderr;
        if (!out.write(chunk.data)) await Promise.race([once(out, 'drain'), once(out, 'close')]).catch((err: NodeJS.ErrnoException) => onError(err));
      }
    }));
    return 0;
  },
};
