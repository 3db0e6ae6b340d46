// Shared by the context-*.test.ts files: inline trees on temp dirs and a layer tar read back as a list.
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import tar from 'tar-stream';

export const T0 = new Date('2001-02-03T04:05:06Z');

/** A spec entry: file content, or a symlink `{ link }`, or a directory `{ dir: true }`, with an optional mode. */
export type TreeSpec = Record<string, string | { link: string } | { dir: true; mode?: number } | { content: string; mode: number }>;

const sandboxes: string[] = [];

/** A new temp dir, removed by removeSandboxes (each test file's test.after.always). */
export async function sandbox(prefix = 'skiff-ctx-'): Promise<string> {
  const dir = await fsp.mkdtemp(join(tmpdir(), prefix));
  sandboxes.push(dir);
  return dir;
}

/** Removes every sandbox made so far, unreadable entries included. */
export async function removeSandboxes(): Promise<void> {
  for (const dir of sandboxes.splice(0)) {
    await fsp.chmod(dir, 0o700).catch(() => undefined);
    try {
      await fsp.rm(dir, { recursive: true, force: true });
    } catch {
      spawnSync('chmod', ['-R', 'u+rwx', dir]);
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }
}

/** Makes `spec` beneath `root`; files get mtime T0 so that tests can see it kept. */
export async function withTree(root: string, spec: TreeSpec): Promise<string> {
  for (const [path, what] of Object.entries(spec)) {
    const full = join(root, path);
    await fsp.mkdir(dirname(full), { recursive: true });
    if (typeof what === 'string') {
      await fsp.writeFile(full, what);
      await fsp.utimes(full, T0, T0);
    } else if ('link' in what) await fsp.symlink(what.link, full);
    else if ('dir' in what) {
      await fsp.mkdir(full, { recursive: true });
      if (what.mode !== undefined) await fsp.chmod(full, what.mode);
    } else {
      await fsp.writeFile(full, what.content);
      await fsp.chmod(full, what.mode);
      await fsp.utimes(full, T0, T0);
    }
  }
  return root;
}

export interface Entry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string | null;
  mtime?: Date;
  content: string;
}

/** Runs `write` into a tar stream and reads it back entry by entry (contents as utf8). */
export async function readLayer(write: (out: Writable) => Promise<void>): Promise<Entry[]> {
  const through = new PassThrough();
  const extract = tar.extract();
  const entries: Entry[] = [];
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const h = entry.header;
      entries.push({ name: h.name, type: h.type ?? 'file', mode: h.mode ?? 0, uid: h.uid ?? -1, gid: h.gid ?? -1, linkname: h.linkname, mtime: h.mtime, content: Buffer.concat(chunks).toString('utf8') });
    }
  })();
  through.pipe(extract);
  await write(through);
  await reading;
  return entries;
}

/** `name type mode` lines, for comparing a layer's shape at a glance. */
export function shape(entries: Entry[]): string[] {
  return entries.map((e) => `${e.name} ${e.type} ${(e.mode & 0o7777).toString(8)}${e.linkname ? ' -> ' + e.linkname : ''}`);
}
