import { CLI_SCRIPT } from '../../config/entry-points.js';
import type { GlobalOptions } from '../../config/global-options.js';
import { SkiffError } from '../../util/errors.js';
import { nodeChildEnv } from '../../util/exec.js';
import type { OptionSpec, ParsedArgs } from '../command.js';

/** How to reach a registry: shared by pull, push, login and run/create. */
export const REGISTRY_TLS_OPTIONS: Record<string, OptionSpec> = {
  'tls-verify': { type: 'boolean', describe: 'Require HTTPS and verify certificates when contacting registries (default true)' },
  'cert-dir': { type: 'string', describe: 'Use certificates at the specified path to access the registry (*.crt CAs, NAME.cert with NAME.key for a client certificate)' },
};

export const REGISTRY_OPTIONS: Record<string, OptionSpec> = {
  ...REGISTRY_TLS_OPTIONS,
  creds: { type: 'string', describe: 'Credentials (USERNAME:PASSWORD) to use for authenticating to a registry' },
};

/** Which image of a multi-arch index to take. */
export const PLATFORM_OPTIONS: Record<string, OptionSpec> = {
  platform: { type: 'string', describe: 'Specify the platform for selecting the image (OS/ARCH[/VARIANT])' },
  arch: { type: 'string', describe: 'Use ARCH instead of the architecture of the machine for choosing images' },
  variant: { type: 'string', describe: 'Use VARIANT instead of the running architecture variant for choosing images' },
};

/** Flags of run/create that control pulling a missing image, as podman's. */
export const PULL_OPTIONS: Record<string, OptionSpec> = {
  pull: { type: 'string', default: 'missing', choices: ['always', 'missing', 'never', 'newer'], describe: 'Pull image policy' },
  ...REGISTRY_OPTIONS,
  ...PLATFORM_OPTIONS,
};


/**
 * Applies --pull before a container is created: pulls the image when the
 * policy asks for it, by running `skiff pull` (which enters the user
 * namespace for extraction) with the same registry flags. Progress goes to
 * stderr, as podman's does. `newer` pulls like `always`: the store keeps
 * what is unchanged, so only new blobs are fetched.
 */
export async function applyPullPolicy(args: ParsedArgs, global: GlobalOptions, imagePresent: () => Promise<boolean>): Promise<void> {
  const policy = String(args.pull ?? 'missing');
  if (policy === 'never') return;
  if (policy === 'missing' && (await imagePresent())) return;
  const image = String(args._[0]);
  const flags: string[] = ['--root', global.root, '--runroot', global.runroot];
  if (global.storageDriver) flags.push('--storage-driver', global.storageDriver);
  for (const name of ['tls-verify', 'creds', 'cert-dir', 'platform', 'arch', 'variant']) {
    if (args[name] !== undefined) flags.push(`--${name}=${String(args[name])}`);
  }
  const { spawn } = await import('node:child_process');
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--', CLI_SCRIPT, ...flags.slice(0, 4), 'pull', ...flags.slice(4), image], { stdio: ['ignore', 'ignore', 'inherit'], env: nodeChildEnv() });
    child.on('exit', (c) => resolve(c ?? 125));
    child.on('error', () => resolve(125));
  });
  if (code !== 0) throw new PullFailedError(code);
}

/** `skiff pull` already printed why on stderr; the command exits with its code. */
export class PullFailedError extends SkiffError {
  readonly reported = true;
  constructor(readonly exitCode: number) {
    super('EPULLFAILED', 'pulling the image failed');
  }
}

/** The archive transports run and create take an image from, as podman's `run docker-archive:PATH`. */
const ARCHIVE_TRANSPORT = /^(docker-archive|oci-archive):(.+)$/;

/**
 * For `docker-archive:PATH` and `oci-archive:PATH`: loads the archive with
 * `skiff load` (in the user namespace, its progress on stderr, as podman
 * shows the copy) and returns the loaded image's name, or its id when the
 * archive names none. Undefined for any other reference: nothing is done.
 */
export async function loadArchiveImage(image: string, global: GlobalOptions): Promise<string | undefined> {
  const match = ARCHIVE_TRANSPORT.exec(image);
  if (!match) return undefined;
  const flags: string[] = ['--root', global.root, '--runroot', global.runroot];
  if (global.storageDriver) flags.push('--storage-driver', global.storageDriver);
  const { spawn } = await import('node:child_process');
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
    let out = '';
    const child = spawn(process.execPath, ['--', CLI_SCRIPT, ...flags, 'load', '-i', match[2]], { stdio: ['ignore', 'pipe', 'inherit'], env: nodeChildEnv() });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (c) => resolve({ code: c ?? 125, stdout: out }));
    child.on('error', () => resolve({ code: 125, stdout: out }));
  });
  if (code !== 0) throw new PullFailedError(code);
  const loaded = /^Loaded image: (.+)$/m.exec(stdout)?.[1];
  if (!loaded) throw new SkiffError('ELOAD', `no image found in ${image}`);
  return loaded;
}
