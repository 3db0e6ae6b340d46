/**
 * The one signal table: names and numbers of every Linux signal, from
 * Node's `os.constants.signals` plus the real-time signals, named as podman
 * (moby's signal package) and bash name them: RTMIN, RTMIN+1 … RTMAX-1, RTMAX.
 */
import { constants } from 'node:os';

/** glibc reserves 32 and 33 for itself; real-time signals start here. */
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

const byName = new Map<string, number>();
const byNumber = new Map<number, string>();

for (const [name, n] of Object.entries(constants.signals)) {
  const short = name.replace(/^SIG/, '');
  byName.set(short, n);
  // Aliases (IOT = ABRT, POLL = IO) must not replace the usual name.
  if (!byNumber.has(n)) byNumber.set(n, short);
}
for (let n = SIGRTMIN; n <= SIGRTMAX; n++) {
  const fromMin = `RTMIN${n === SIGRTMIN ? '' : `+${n - SIGRTMIN}`}`;
  const fromMax = `RTMAX${n === SIGRTMAX ? '' : `-${SIGRTMAX - n}`}`;
  byName.set(fromMin, n);
  byName.set(fromMax, n);
  // bash's `kill -l` naming: RTMIN+n for the lower half, RTMAX-n above.
  byNumber.set(n, n - SIGRTMIN <= 15 ? fromMin : fromMax);
}

export interface Signal {
  /** Without the SIG prefix: TERM, KILL, RTMIN+3. */
  name: string;
  number: number;
}

/**
 * Parses a signal as podman's `kill -s` accepts it: SIGTERM, TERM, term, 15,
 * RTMIN+3, SIGRTMAX-2. Returns undefined for anything else (0 included).
 */
export function parseSignal(input: string): Signal | undefined {
  const text = input.trim();
  if (/^\d+$/.test(text)) {
    const number = Number(text);
    if (number < 1 || number > SIGRTMAX) return undefined;
    return { name: byNumber.get(number) ?? String(number), number };
  }
  const name = text.toUpperCase().replace(/^SIG/, '');
  const number = byName.get(name);
  return number === undefined ? undefined : { name: byNumber.get(number)!, number };
}

/** The number of a signal given by name (with or without SIG) or number; undefined when unknown. */
export function signalNumber(signal: string | number): number | undefined {
  return typeof signal === 'number' ? (signal >= 1 && signal <= SIGRTMAX ? signal : undefined) : parseSignal(signal)?.number;
}

/**
 * The exit code of a process killed by `signal`, as shells and podman report
 * it: 128 + the signal's number. Every name Node reports for a child's death
 * is in the table; a name that is not is a bug, hence the throw.
 */
export function signalExitCode(signal: NodeJS.Signals | string | number): number {
  const number = signalNumber(signal);
  if (number === undefined) throw new Error(`unknown signal ${signal}`);
  return 128 + number;
}

/** Every signal, lowest number first, for listings (`kill -l`) and tests. */
export function allSignals(): Signal[] {
  return [...byNumber.entries()].sort((a, b) => a[0] - b[0]).map(([number, name]) => ({ name, number }));
}
