/**
 * Where skiff's own programs are, for the places that start Node again: the
 * CLI re-run inside the user namespace, the container monitor, the exec pty
 * holder.
 *
 * `npm run build` bundles each program into one file in lib/ (esbuild), so
 * in the shipped code this module is part of a bundle that sits in lib/
 * beside the others. The test build (tsc into build/) keeps one file per
 * module, laid out as src/ is. SKIFF_BUNDLE is defined only by the bundler.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

declare const SKIFF_BUNDLE: boolean | undefined;

const BUNDLED = typeof SKIFF_BUNDLE !== 'undefined' && SKIFF_BUNDLE;
// lib/ when bundled, else build/src/config/.
const HERE = dirname(fileURLToPath(import.meta.url));

/** The project's top directory (where bin/, lib/, man/ are). */
export const PROJECT_ROOT = BUNDLED ? join(HERE, '..') : join(HERE, '..', '..', '..');

/**
 * The script that runs the CLI. The bundled CLI is started through
 * bin/skiff, which loads it with its V8 code cache; see there.
 */
export const CLI_SCRIPT = BUNDLED ? join(PROJECT_ROOT, 'bin', 'skiff') : join(HERE, '..', 'cli', 'main.js');

/** The container monitor (src/monitor/main.ts). */
export const MONITOR_SCRIPT = BUNDLED ? join(HERE, 'monitor.cjs') : join(HERE, '..', 'monitor', 'main.js');

/** The holder of an `exec -d -t` session's terminal (src/monitor/exec-pty-holder.ts). */
export const PTY_HOLDER_SCRIPT = BUNDLED ? join(HERE, 'exec-pty-holder.cjs') : join(HERE, '..', 'monitor', 'exec-pty-holder.js');
