/**
 * Writes man/*.1 and completions/* from the command table (`npm run docs`)
 * and removes man pages of commands that no longer exist. Never imports
 * main.ts, which would run the CLI.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT as root } from '../config/entry-points.js';
import { COMPLETIONS_DIR, MAN_DIR, generateDocs } from './docs/generate.js';

async function main(): Promise<void> {
  const files = generateDocs();
  let written = 0;
  for (const [relative, content] of files) {
    const target = join(root, relative);
    await mkdir(dirname(target), { recursive: true });
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (current !== content) {
      await writeFile(target, content);
      written++;
      console.log(`wrote ${relative}`);
    }
  }
  let removed = 0;
  for (const dir of [MAN_DIR, COMPLETIONS_DIR]) {
    for (const name of await readdir(join(root, dir))) {
      const relative = `${dir}/${name}`;
      const ours = dir === MAN_DIR ? /^skiff(-.+)?\.1$/.test(name) : /^skiff\.(bash|zsh|fish)$/.test(name);
      if (ours && !files.has(relative)) {
        await rm(join(root, relative));
        removed++;
        console.log(`removed stale ${relative}`);
      }
    }
  }
  console.log(`${files.size} files up to date (${written} written, ${removed} removed)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
