import type { GlobalOptions } from '../config/global-options.js';
import type { EngineContext } from '../engine/context.js';
import { printWarning } from './output/print.js';

/** Builds the engine context for a command (loaded lazily: commands that need no engine skip it). */
export async function engineContext(global: GlobalOptions): Promise<EngineContext> {
  const { EngineContext } = await import('../engine/context.js');
  return new EngineContext(global);
}

export function printWarnings(ctx: EngineContext): void {
  for (const w of ctx.warnings.splice(0)) printWarning(w);
  for (const line of ctx.notices.splice(0)) process.stderr.write(`${line}\n`);
}
