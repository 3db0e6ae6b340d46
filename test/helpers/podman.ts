// podman as an independent peer in interop tests: its own store, run root
// and XDG_RUNTIME_DIR under `dir`, the flags this host needs (runc, cgroupfs,
// file events), and a cleanup that removes its sub-uid owned store from
// inside its namespace and ends that namespace.
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface PodmanPeer {
  /** Runs podman with the peer's store; throws with its stderr on failure; returns stdout. */
  run(args: string[]): Promise<string>;
  cleanup(): Promise<void>;
}

export function podmanPeer(dir: string): PodmanPeer {
  const env = { XDG_RUNTIME_DIR: join(dir, 'xdg'), TMPDIR: dir };
  return {
    async run(args) {
      await mkdir(join(dir, 'xdg'), { recursive: true, mode: 0o700 });
      const r = await execa('podman', [
        '--root', join(dir, 'root'), '--runroot', join(dir, 'run'),
        '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--runtime', 'runc', ...args,
      ], { reject: false, stdin: 'ignore', timeout: 90_000, env });
      if (r.exitCode !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.exitCode}\n${String(r.stderr)}`);
      return String(r.stdout);
    },
    async cleanup() {
      if (!(await stat(dir).catch(() => undefined))) return;
      await execa('podman', ['unshare', 'rm', '-rf', join(dir, 'root'), join(dir, 'run')], { reject: false, stdin: 'ignore', timeout: 30_000, env });
      const pid = Number(await readFile(join(dir, 'xdg', 'libpod', 'tmp', 'pause.pid'), 'utf8').catch(() => ''));
      if (Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}
