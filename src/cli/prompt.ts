import { createInterface } from 'node:readline/promises';

/** Asks a yes/no question on the terminal; without a terminal the answer is no, as podman's. */
export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
