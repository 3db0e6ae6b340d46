import { once } from 'node:events';
import type { CommandDefinition } from '../../command.js';
import { engineContext } from '../../context.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const logsCommand: CommandDefinition = {
  path: ['container', 'logs'],
  aliases: [['logs']],
  describe: 'Fetch the logs of a container',
  synopsis: '[options] CONTAINER',
  examples: [['skiff logs -f web', 'print the log of web and follow new output until it exits'], ['skiff logs --tail 5 web', 'only the last 5 lines']],
  options: {
    follow: { alias: 'f', type: 'boolean', default: false, describe: 'Follow log output' },
    tail: { type: 'number', default: -1, describe: 'Output the specified number of lines at the end of logs (-1 for all)' },
    timestamps: { alias: 't', type: 'boolean', default: false, describe: 'Output the timestamps in the log' },
  },
  positionals: { min: 1, max: 1 },
  async run(args, global) {
    const { containerLogs } = await import('../../../engine/container/logs.js');
    const tail = Number(args.tail);
    if (!Number.isInteger(tail)) throw new InvalidArgumentError(`invalid --tail value "${args.tail}"`);
    const ctx = await engineContext(global);
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
    for await (const chunk of containerLogs(ctx, args._[0], { follow: Boolean(args.follow), tail: tail < 0 ? undefined : tail, timestamps: Boolean(args.timestamps) })) {
      if (closed) break;
      const out = chunk.stream === 'stdout' ? process.stdout : process.stderr;
      if (!out.write(chunk.data)) await Promise.race([once(out, 'drain'), once(out, 'close')]).catch((err: NodeJS.ErrnoException) => onError(err));
    }
    return 0;
  },
};
