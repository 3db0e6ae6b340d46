import type { EngineContext } from '../context.js';
import { NoSuchContainerError } from '../errors.js';
import { resolveContainerId } from './record.js';

/**
 * Whether a container exists (`skiff container exists`): by full id, name
 * or unique id prefix, as every verb resolves it. Other failures (an
 * unreadable store) are thrown, for exit 125.
 */
export async function containerExists(ctx: EngineContext, nameOrId: string): Promise<boolean> {
  try {
    await resolveContainerId(ctx, nameOrId);
    return true;
  } catch (err) {
    if (err instanceof NoSuchContainerError) return false;
    throw err;
  }
}
