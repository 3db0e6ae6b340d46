import type { EngineContext } from '../context.js';
import { ContainerStateError } from '../errors.js';
import { resolveContainer } from './record.js';
import { attachSession, type AttachOutcome, type AttachStreams } from './start.js';

export interface ContainerAttachOptions {
  streams: AttachStreams;
  /** --no-stdin: do not forward stdin even when the container was created with -i. */
  noStdin?: boolean;
}

export interface ContainerAttachReport {
  id: string;
  name: string;
  /** The container's exit code when it exited while attached; undefined when the user detached. */
  exitCode?: number;
  detached?: boolean;
}

/** The parts of a container's record that decide how the terminal is wired to it. */
export interface ContainerAttachTarget {
  id: string;
  name: string;
  tty: boolean;
  interactive: boolean;
}

/**
 * Finds a running container to attach to; throws ContainerStateError
 * (podman's "you can only attach to running containers") otherwise.
 * No lock is held: the container may still exit before `attachContainer`.
 */
export async function attachTarget(ctx: EngineContext, nameOrId: string): Promise<ContainerAttachTarget> {
  const { record, state, monitorLost } = await resolveContainer(ctx, nameOrId);
  // Without its monitor nobody serves the attach socket.
  if (state.status !== 'running' || monitorLost) throw new ContainerStateError('you can only attach to running containers');
  return { id: record.id, name: record.name, tty: record.spec.terminal, interactive: record.interactive };
}

/**
 * Attaches `streams` to a running container through its monitor's attach
 * socket (any number of clients may attach at once; the monitor holds the
 * pty of a -t container between them). Resolves with the container's exit
 * code when it exits, or `detached` when the detach keys were typed: the
 * container then keeps running and can be attached again. Stdin is
 * forwarded only to a container created with -i.
 */
export async function attachContainer(ctx: EngineContext, target: ContainerAttachTarget, options: ContainerAttachOptions): Promise<ContainerAttachReport> {
  let outcome: AttachOutcome;
  try {
    outcome = await attachSession(ctx.layout.attachSocket(target.id), options.streams, target.interactive && !options.noStdin);
  } catch (err) {
    // The container exited between our look at its state and the connect: its socket is gone.
    const code = (err as { cause?: NodeJS.ErrnoException }).cause?.code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') throw new ContainerStateError('you can only attach to running containers');
    throw err;
  }
  return { id: target.id, name: target.name, ...outcome };
}
