import { Writable } from 'node:stream';
import type { CommandDefinition } from '../../command.js';
import type { GlobalOptions } from '../../../config/global-options.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { CREATE_OPTIONS, containersConfEtc, toCreateOptions } from '../../options/create-options.js';
import { PULL_OPTIONS, applyPullPolicy, loadArchiveImage } from '../../options/pull-options.js';
import { consoleSize, terminalStreams } from '../../terminal.js';
import { parseDetachKeys } from '../../detach-keys.js';
import { DETACH_KEYS_OPTION, SIG_PROXY_OPTION } from '../../options/attach-options.js';
import { engineContext, printWarnings } from '../../context.js';
import { printText } from '../../output/print.js';
import { takePreforkedMonitor } from '../../prefork.js';
import { PRESERVE_FDS_OPTION, checkPreservedFds } from '../../options/preserve-fds.js';
import { replaceContainer } from '../../options/replace-option.js';

export const runCommand: CommandDefinition = {
  path: ['container', 'run'],
  aliases: [['run']],
  describe: 'Run a command in a new container',
  synopsis: '[options] IMAGE [COMMAND [ARG...]]',
  examples: [
    ['skiff run --rm localhost/bb echo hello', 'run a command and remove the container afterwards'],
    ['skiff run -it --rm localhost/bb sh', 'an interactive shell with a terminal'],
    ['skiff run -d --name web localhost/bb httpd -f -p 8080', 'a detached server; prints its id'],
    ['skiff run -it --detach-keys ctrl-a,x --name box localhost/bb sh', 'ctrl-a then x detaches, leaving the shell running'],
  ],
  options: {
    ...CREATE_OPTIONS,
    ...PULL_OPTIONS,
    detach: { alias: 'd', type: 'boolean', default: false, describe: 'Run the container in the background and print its ID' },
    rmi: { type: 'boolean', default: false, describe: 'After the container exits, remove its image unless another container uses it (not with --detach)' },
    attach: { alias: 'a', type: 'string', array: true, describe: 'Attach to STDIN, STDOUT or STDERR (repeatable; the others are not shown). Without STDOUT and STDERR the container ID is printed' },
    'detach-keys': DETACH_KEYS_OPTION,
    'sig-proxy': SIG_PROXY_OPTION,
    'preserve-fds': PRESERVE_FDS_OPTION,
  },
  positionals: { min: 1 },
  stopAfterPositionals: 1,
  async run(args, global) {
    // The monitor is forked first (by main, or here), before the pull check
    // and the create code load: its Node start-up (~100 ms) then overlaps
    // all of the CLI's remaining work.
    const { forkMonitor, startContainer } = await import('../../../engine/container/start.js');
    const ctx = await engineContext(global);
    let monitor = (await takePreforkedMonitor(global.runroot)) ?? (await forkMonitor(ctx));
    let preserveFds = 0;
    let created;
    let detachKeys: Buffer;
    let attach: Set<string> | undefined;
    try {
      // Checked before anything is created: a bad spec leaves nothing behind.
      detachKeys = parseDetachKeys(String(args['detach-keys']));
      attach = attachedStreams(args.attach as string[] | undefined, Boolean(args.detach));
      preserveFds = checkPreservedFds(args['preserve-fds']);
      // The monitor hands the fds to the runtime: it must be forked with them.
      if (preserveFds > 0) {
        monitor.abort();
        monitor = await forkMonitor(ctx, { preserveFds });
      }
      if (args.replace) await replaceContainer(ctx, global, args.name as string | undefined);
      const { imageExists } = await import('../../../engine/image/images.js');
      // An archive transport is loaded instead of pulled; the container is made from what it held.
      const archived = await loadArchiveImage(String(args._[0]), global);
      if (archived !== undefined) args._[0] = archived;
      else await applyPullPolicy(args, global, () => imageExists(ctx, String(args._[0])));
      const options = toCreateOptions(args, args.tty ? consoleSize() : undefined, await containersConfEtc());
      const { createContainer } = await import('../../../engine/container/create.js');
      created = await createContainer(ctx, options);
    } catch (err) {
      monitor.abort();
      throw err;
    }
    printWarnings(ctx);
    const options = { tty: Boolean(args.tty), interactive: Boolean(args.interactive) };
    if (args.detach) {
      // A failed start of a --rm container is removed by its monitor.
      await startContainer(ctx, created.id, { monitor, preserveFds });
      printText(created.id + '\n');
      return 0;
    }
    const terminal = terminalStreams({ ...options, detachKeys, sigProxy: Boolean(args['sig-proxy']) });
    if (attach) {
      // As podman: only the streams named by --attach are wired; without stdout and stderr it prints the ID.
      const streams = terminal.streams;
      if (!attach.has('stdout')) streams.stdout = discard();
      if (!attach.has('stderr')) streams.stderr = discard();
      if (!attach.has('stdin')) streams.stdin = undefined;
      if (!attach.has('stdout') && !attach.has('stderr')) printText(created.id + '\n');
    }
    try {
      const report = await startContainer(ctx, created.id, { attach: terminal.streams, monitor, preserveFds });
      if (args.rmi && !report.detached) await removeImageAfterRun(global, String(args._[0]));
      // Detached: podman prints nothing and exits 0; the container runs on.
      return report.exitCode ?? 0;
    } finally {
      terminal.restore();
    }
  },
};

/**
 * --rmi: `skiff rmi IMAGE` once the container is done, as podman does it (a
 * name the image shares with others is only untagged; an image a container
 * still uses stays, with a warning). Layer files belong to sub-ids, so the
 * removal runs as that command, inside the user namespace.
 */
async function removeImageAfterRun(global: GlobalOptions, image: string): Promise<void> {
  const [{ execFile }, { CLI_SCRIPT }, { nodeChildEnv }, { log }] = await Promise.all([
    import('node:child_process'), import('../../../config/entry-points.js'), import('../../../util/exec.js'), import('../../../util/log.js'),
  ]);
  const globals = ['--root', global.root, '--runroot', global.runroot, ...(global.storageDriver ? ['--storage-driver', global.storageDriver] : [])];
  await new Promise<void>((resolve) => {
    execFile(process.execPath, ['--', CLI_SCRIPT, ...globals, 'image', 'rm', image], { env: nodeChildEnv() }, (err, _stdout, stderr) => {
      if (err) log.warn(`Failed removing image ${image}: ${stderr.trim().replace(/^Error: /, '') || err.message}`);
      resolve();
    });
  });
}

/** --attach's streams, lower-cased; undefined when it was not given. */
function attachedStreams(values: string[] | undefined, detach: boolean): Set<string> | undefined {
  if (!values || values.length === 0) return undefined;
  if (detach) throw new InvalidArgumentError('--attach and --detach cannot be used together');
  const streams = new Set(values.map((v) => String(v).toLowerCase()));
  for (const stream of streams) {
    if (!['stdin', 'stdout', 'stderr'].includes(stream)) {
      throw new InvalidArgumentError(`invalid stream "${stream}" for --attach - must be one of stdin, stdout, or stderr`);
    }
  }
  return streams;
}

/** A stream that drops what it is given: an output the user did not attach. */
function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
