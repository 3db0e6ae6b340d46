// `skiff pull` under a real pseudo-terminal: per-layer bars redrawn in
// place, then the final "done" lines, and the image id last.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import pty from 'node-pty';
import { buildLayeredImage, type BuiltImage } from '../../fixtures/oci-image.js';
import { pushOciLayout, startRegistry, type TestRegistry } from '../../helpers/registry.js';
import { PROJECT_ROOT, SKIFF_BIN, newTestEnv, type TestEnv } from '../../helpers/skiff.js';

let env: TestEnv;
let registry: TestRegistry;
let image: BuiltImage;
let fixtures: string;

test.before(async () => {
  env = await newTestEnv();
  fixtures = await mkdtemp(join(tmpdir(), 'skf-'));
  registry = await startRegistry();
  image = await buildLayeredImage(join(fixtures, 'layered'));
  await pushOciLayout(registry, image.dir, 'progress:latest');
});

test.after.always(async () => {
  await env?.cleanup();
  await registry?.stop();
  if (fixtures) await rm(fixtures, { recursive: true, force: true });
});

/** Runs skiff in a pty to its end; resolves with everything it printed. */
function runInPty(args: string[], extraEnv: Record<string, string> = {}, ms = 60_000): Promise<{ output: string; exitCode: number }> {
  const term = pty.spawn(SKIFF_BIN, ['--root', env.root, '--runroot', env.runroot, ...args], {
    name: 'xterm',
    cols: 100,
    rows: 30,
    cwd: PROJECT_ROOT,
    env: { ...process.env, TERM: 'xterm', ...extraEnv } as Record<string, string>,
  });
  let output = '';
  term.onData((d) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        term.kill();
      } catch {
        // already gone
      }
      reject(new Error(`timed out after ${ms} ms; pty output:\n${JSON.stringify(output)}`));
    }, ms);
    term.onExit(({ exitCode }) => {
      clearTimeout(timer);
      // The last data may arrive just after the exit event.
      setTimeout(() => resolve({ output, exitCode }), 100);
    });
  });
}

test.serial('on a terminal, pull draws progress bars, ends each with done, and prints the id last', async (t) => {
  const { output, exitCode } = await runInPty(['pull', '--tls-verify=false', `${registry.host}/progress:latest`], { NO_COLOR: '1' });
  t.is(exitCode, 0, output);
  t.regex(output, /Copying blob [0-9a-f]{12} \[[=>-]+\] \S+ \/ \S+/, 'a bar was drawn');
  t.regex(output, /Copying blob [0-9a-f]{12} done/);
  t.regex(output, /Writing manifest to image destination/);
  t.notRegex(output, /\x1b\[3\dm/, 'no colour with NO_COLOR');
  const lines = output.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  t.is(lines[lines.length - 1], image.configDigest.replace(/^sha256:/, ''));
});

test.serial('on a terminal, -q prints only the id', async (t) => {
  const { output, exitCode } = await runInPty(['pull', '-q', '--tls-verify=false', `${registry.host}/progress:latest`]);
  t.is(exitCode, 0, output);
  t.is(output.trim(), image.configDigest.replace(/^sha256:/, ''));
});
