import { SkiffError } from '../util/errors.js';

/** podman's codes: 125 the engine failed; 126 cannot invoke; 127 not found. */
export const EXIT_ENGINE = 125;

/**
 * The exit code for an error, per command where podman's man pages set their
 * own (rm: 1 no such container, 2 container running). The one place codes live.
 */
export function exitCodeFor(err: unknown, command: string): number {
  if (!(err instanceof SkiffError)) return EXIT_ENGINE;
  const perCommand = PER_COMMAND[command];
  if (perCommand && err.code in perCommand) return perCommand[err.code];
  if ('exitCode' in err && typeof (err as { exitCode: unknown }).exitCode === 'number' && (err.code === 'ESTART' || err.code === 'EPULLFAILED' || err.code === 'EBUILDRUN')) {
    return (err as unknown as { exitCode: number }).exitCode;
  }
  return EXIT_ENGINE;
}

const PER_COMMAND: Record<string, Record<string, number>> = {
  'container rm': { ENOCONTAINER: 1, ESTATE: 2 },
  'container stop': { ENOCONTAINER: 125 },
  // podman start (attached or not) fails with 125 whatever the runtime said; only run passes 126/127 on.
  'container start': { ESTART: 125 },
  'container kill': { ENOCONTAINER: 125 },
  'container inspect': { ENOCONTAINER: 125 },
  'image exists': { ENOIMAGE: 1 },
  // podman rmi: 1 no such image, 2 the image is in use by a container.
  'image rm': { ENOIMAGE: 1, EIMAGEINUSE: 2 },
  // podman network rm: 1 no such network, 2 the network is in use.
  'network rm': { ENONETWORK: 1, ENETWORKINUSE: 2 },
  // podman volume rm: 1 no such volume, 2 the volume is in use by a container.
  'volume rm': { ENOVOLUME: 1, EVOLUMEINUSE: 2 },
  // podman unshare: 127 the program is not there, 126 it cannot be run.
  unshare: { ENOTFOUND: 127, ENOEXEC: 126 },
};
