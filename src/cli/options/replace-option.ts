import { CLI_SCRIPT } from '../../config/entry-points.js';
import type { GlobalOptions } from '../../config/global-options.js';
import type { EngineContext } from '../../engine/context.js';
import { InvalidArgumentError, SkiffError } from '../../util/errors.js';
import { nodeChildEnv } from '../../util/exec.js';
import type { OptionSpec } from '../command.js';

/** run/create --replace, as podman's. */
export const REPLACE_OPTION: OptionSpec = {
  type: 'boolean',
  default: false,
  describe: 'If a container with the same name exists, replace it (it is removed first, stopped if it runs)',
};

/**
 * --replace: removes the container called `name`, if there is one, before
 * the new one is created, as `skiff rm --force NAME` (removal enters the
 * user namespace; layer files belong to sub-ids). Throws when --name is
 * missing (podman's message) or the removal fails.
 */
export async function replaceContainer(ctx: EngineContext, global: GlobalOptions, name: string | undefined): Promise<void> {
  if (name === undefined || name === '') throw new InvalidArgumentError('cannot replace container without --name being set');
  const { containerExists } = await import('../../engine/container/exists.js');
  // Most --replace runs (systemd units) find nothing to replace: no second process then.
  if (!(await containerExists(ctx, name))) return;
  const globals = ['--root', global.root, '--runroot', global.runroot, ...(global.storageDriver ? ['--storage-driver', global.storageDriver] : [])];
  const { spawn } = await import('node:child_process');
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--', CLI_SCRIPT, ...globals, 'rm', '--force', name], { stdio: ['ignore', 'ignore', 'pipe'], env: nodeChildEnv() });
    let text = '';
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', (err) => resolve({ code: 125, stderr: err.message }));
    child.on('close', (c) => resolve({ code: c ?? 125, stderr: text }));
  });
  if (code !== 0) {
    throw new SkiffError('EREPLACE', `replacing container ${name}: ${stderr.trim().replace(/^Error: /, '') || `skiff rm exited with code ${code}`}`);
  }
}
