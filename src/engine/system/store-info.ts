import { promises as fsp } from 'node:fs';
import type { StorageSettings } from '../../config/storage-conf.js';
import { exec } from '../../util/exec.js';
import type { StorageChoice } from '../storage-driver.js';

/** statfs(2) magic numbers, named as containers/storage names the backing filesystem. */
const FS_NAMES: Record<number, string> = {
  0xef53: 'extfs', 0x58465342: 'xfs', 0x01021994: 'tmpfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs', 0x65735546: 'fuse',
  0x6969: 'nfs', 0x2fc12fc1: 'zfs', 0xf2f52010: 'f2fs', 0x858458f6: 'ramfs', 0x73717368: 'squashfs', 0x5346544e: 'ntfs',
};

/**
 * The statfs(2) type of `path` as the user namespace sees it (a graph root
 * may sit on a mount made there): `stat -f` run in it, unless we are in it.
 */
export async function namespaceFsType(path: string, execInNamespace: ((argv: string[]) => Promise<{ exitCode: number; stdout: string }>) | undefined): Promise<number> {
  if (!execInNamespace) return (await fsp.statfs(path)).type;
  const r = await execInNamespace(['stat', '-f', '-c', '%t', path]);
  if (r.exitCode !== 0) throw new Error(`stat -f ${path} exited ${r.exitCode}`);
  return parseInt(r.stdout.trim(), 16);
}

/**
 * podman info's store.graphOptions, graphStatus and our own
 * graphDriverReason for the driver in use: the mount program as podman
 * shows it ({Executable, Package, Version}), the other options as strings,
 * and overlay's status lines (the backing filesystem of the graph root,
 * whether the kernel's overlay computes diffs, d_type, metacopy).
 */
export async function storeDriverInfo(choice: StorageChoice, settings: StorageSettings | undefined, fsType: () => Promise<number>): Promise<{
  graphDriverReason: string; graphOptions: Record<string, unknown>; graphStatus: Record<string, string>;
}> {
  const graphOptions: Record<string, unknown> = {};
  const graphStatus: Record<string, string> = {};
  if (choice.driver === 'overlay') {
    if (choice.mountProgram) graphOptions['overlay.mount_program'] = await programInfo(choice.mountProgram);
    if (choice.mountOpt) graphOptions['overlay.mountopt'] = choice.mountOpt;
    if (settings?.overlayIgnoreChownErrors !== undefined) graphOptions['overlay.ignore_chown_errors'] = String(settings.overlayIgnoreChownErrors);
    const fs = await fsType().then((type) => FS_NAMES[type] ?? `0x${type.toString(16)}`, () => 'unknown');
    graphStatus['Backing Filesystem'] = fs;
    // containers/storage's "naive diff" is used with a mount program or extra mount options.
    graphStatus['Native Overlay Diff'] = String(!choice.mountProgram && !choice.mountOpt);
    graphStatus['Supports d_type'] = 'true';
    graphStatus['Using metacopy'] = String(/(^|,)metacopy=on(,|$)/.test(choice.mountOpt ?? ''));
  } else {
    if (settings?.vfsIgnoreChownErrors !== undefined) graphOptions['vfs.ignore_chown_errors'] = String(settings.vfsIgnoreChownErrors);
    if (choice.probe && !choice.probe.native && choice.probe.reason) graphStatus['Overlay Refused'] = choice.probe.reason;
  }
  return { graphDriverReason: choice.reason, graphOptions, graphStatus };
}

/** The mount program's path, Debian package and `--version` output, as podman's info shows them. */
async function programInfo(path: string): Promise<{ Executable: string; Package: string; Version: string }> {
  const [version, pkg] = await Promise.all([
    exec(path, ['--version'], { timeoutMs: 2000 }).then((r) => `${r.stdout}${r.stderr}`.trim(), () => ''),
    exec('dpkg-query', ['-S', path], { timeoutMs: 2000 }).then(async (r) => {
      const name = r.exitCode === 0 ? r.stdout.split(':')[0]?.trim() : undefined;
      if (!name) return '';
      const v = await exec('dpkg-query', ['-W', '-f', '${Package}_${Version}_${Architecture}', name], { timeoutMs: 2000 });
      return v.exitCode === 0 ? v.stdout.trim() : '';
    }, () => ''),
  ]);
  return { Executable: path, Package: pkg, Version: version };
}
