import type { CommandDefinition, ParsedArgs } from '../../command.js';
import { engineContext, printWarnings } from '../../context.js';
import { printText } from '../../output/print.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export const buildCommand: CommandDefinition = {
  path: ['image', 'build'],
  aliases: [['build']],
  describe: 'Build an image using instructions from Containerfiles',
  synopsis: '[options] [CONTEXT]',
  examples: [
    ['skiff build -t app .', 'build ./Containerfile (or ./Dockerfile) with the current directory as context'],
    ['skiff build -f - -t app ctx < Containerfile', 'the Containerfile from stdin'],
    ['skiff build --build-arg VERSION=2 --target runtime -t app .', 'a build arg, stopping at stage runtime'],
  ],
  options: {
    file: { alias: 'f', type: 'string', describe: 'Pathname or URL of a Containerfile (- for stdin)' },
    tag: { alias: 't', type: 'string', array: true, describe: 'Tagged name to apply to the built image (repeatable)' },
    'build-arg': { type: 'string', array: true, describe: 'Argument=value (or argument, from the environment) to supply to the builder (repeatable)' },
    'build-arg-file': { type: 'string', array: true, describe: 'Argfile.conf containing lines of argument=value to supply to the builder (repeatable)' },
    target: { type: 'string', describe: 'Set the target build stage to build' },
    'no-cache': { type: 'boolean', default: false, describe: 'Do not use existing cached images for the container build; build from the start with a new set of cached layers' },
    pull: { type: 'string', describe: 'Pull image policy: missing (default), always, never; --pull alone is always' },
    'pull-always': { type: 'boolean', describe: 'Pull the base images even when they are present (--pull=always)' },
    'pull-never': { type: 'boolean', describe: 'Never pull the base images (--pull=never)' },
    layers: { type: 'boolean', describe: 'Use intermediate layers during build, and keep them as the cache (default: true, or $BUILDAH_LAYERS)' },
    label: { type: 'string', array: true, describe: 'Set metadata for an image (KEY=VALUE, repeatable)' },
    iidfile: { type: 'string', describe: 'Write the image ID to the file' },
    ignorefile: { type: 'string', describe: 'Path to an alternate .containerignore (.dockerignore) file' },
    logfile: { type: 'string', describe: 'Log the output that would go to standard output and standard error to the file instead' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Refrain from announcing build instructions; print only the image ID' },
    rm: { type: 'boolean', default: true, describe: 'Remove intermediate containers after a successful build' },
    'force-rm': { type: 'boolean', default: true, describe: 'Always remove intermediate containers after a build, even if the build is unsuccessful' },
    format: { type: 'string', default: 'oci', describe: 'Format of the built image\'s manifest and metadata: oci or docker' },
    jobs: { type: 'number', default: 0, describe: 'How many stages to build at once (0: no limit; stages wait for the ones they read from)' },
    network: { alias: 'net', type: 'string', describe: 'Network mode of RUN instructions: private (default), none, host, slirp4netns, pasta' },
    platform: { type: 'string', describe: 'Set the OS/ARCH[/VARIANT] of the image to the provided value (the host\'s only)' },
  },
  positionals: { min: 0, max: 1 },
  // Layers are stored with their owners and RUN starts containers: root of the user namespace.
  userns: true,
  async run(args, global) {
    const options = await toBuildOptions(args);
    const { buildImage } = await import('../../../engine/build/build.js');
    const ctx = await engineContext(global);
    const { createWriteStream, writeFileSync } = await import('node:fs');
    const log = options.logfile ? createWriteStream(options.logfile, { flags: 'a' }) : undefined;
    if (log) await new Promise<void>((resolve, reject) => log.once('open', () => resolve()).once('error', (err) => reject(new InvalidArgumentError(`opening log file ${options.logfile}: ${err.message}`))));
    try {
      const report = await buildImage(ctx, { ...options, stdin: process.stdin, stdout: log ?? process.stdout, stderr: log ?? process.stderr });
      if (options.iidfile) writeFileSync(options.iidfile, `sha256:${report.id}`);
      if (log) log.write(`${report.id}\n`);
      else printText(`${report.id}\n`);
    } finally {
      printWarnings(ctx);
      if (log) await new Promise<void>((resolve) => log.end(() => resolve()));
    }
    return 0;
  },
};

/** The only place build's raw argv is read. */
async function toBuildOptions(args: ParsedArgs) {
  const format = String(args.format ?? 'oci');
  if (format !== 'oci' && format !== 'docker') throw new InvalidArgumentError(`unrecognized image type "${format}"`);
  const platform = args.platform as string | undefined;
  if (platform !== undefined && platform !== '') checkPlatform(platform);
  const buildArgs: Record<string, string> = {};
  for (const file of (args['build-arg-file'] as string[] | undefined) ?? []) {
    const { readFileSync } = await import('node:fs');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new InvalidArgumentError(`reading build arg file ${file}: ${(err as Error).message}`);
    }
    for (const line of text.split('\n')) {
      const trimmed = line.trim();
      if (trimmed && !trimmed.startsWith('#')) addBuildArg(buildArgs, trimmed);
    }
  }
  for (const value of (args['build-arg'] as string[] | undefined) ?? []) addBuildArg(buildArgs, String(value));
  return {
    context: args._[0] ?? '.',
    file: args.file as string | undefined,
    tags: ((args.tag as string[] | undefined) ?? []).map(String),
    buildArgs,
    target: args.target as string | undefined,
    noCache: Boolean(args['no-cache']),
    layers: args.layers !== undefined ? args.layers !== false : envBool(process.env.BUILDAH_LAYERS) ?? true,
    pull: args['pull-never'] ? 'never' as const : args['pull-always'] ? 'always' as const : pullPolicy(args.pull as string | undefined),
    format: format as 'oci' | 'docker',
    network: (args.network as string | undefined) ?? 'default',
    labels: keyValues((args.label as string[] | undefined) ?? [], 'label'),
    quiet: Boolean(args.quiet),
    jobs: jobsOf(args.jobs),
    iidfile: args.iidfile as string | undefined,
    logfile: args.logfile as string | undefined,
    ignoreFile: args.ignorefile as string | undefined,
    // A global flag, parsed with the command's own.
    runtimeFlags: ((args['runtime-flag'] as string[] | undefined) ?? []).map(String),
  };
}

/** Go's strconv.ParseBool, as podman reads BUILDAH_LAYERS; undefined when unset or not a boolean. */
function envBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

function jobsOf(value: unknown): number {
  const n = Number(value ?? 0);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`invalid --jobs value "${String(value)}": a number of 0 or more is needed`);
  return n;
}

/** KEY=VALUE, or KEY alone: its value from the environment (left out when unset), as podman. */
function addBuildArg(into: Record<string, string>, value: string): void {
  const eq = value.indexOf('=');
  if (eq >= 0) into[value.slice(0, eq)] = value.slice(eq + 1);
  else if (process.env[value] !== undefined) into[value] = process.env[value]!;
}

function keyValues(values: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq === 0) throw new InvalidArgumentError(`invalid ${what} "${value}": the key is empty`);
    if (eq < 0) out[value] = '';
    else out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return out;
}

/** --pull: a policy, or a boolean as podman 4 still takes it (--pull alone is always). */
function pullPolicy(value: string | undefined): 'missing' | 'always' | 'never' {
  if (value === undefined || value === 'false' || value === 'missing' || value === 'ifmissing' || value === 'ifnotpresent') return 'missing';
  if (value === '' || value === 'true' || value === 'always' || value === 'newer' || value === 'ifnewer') return 'always';
  if (value === 'never' || value === 'false') return 'never';
  throw new InvalidArgumentError(`unsupported pull policy "${value}": use missing, always, never or newer`);
}

/** Only the host's platform can be built: RUN executes natively. */
function checkPlatform(platform: string): void {
  const arch = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;
  const [os, wanted] = platform.split('/');
  if (os !== 'linux' || (wanted !== undefined && wanted !== arch)) {
    throw new InvalidArgumentError(`building for platform ${platform} is not supported: only the host's platform linux/${arch} can be built (RUN executes natively)`);
  }
}
