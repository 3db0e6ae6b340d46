import type { CommandDefinition } from '../command.js';
import { attachCommand } from './container/attach.js';
import { createCommand } from './container/create.js';
import { containerInspectCommand, imageInspectCommand, inspectCommand } from './container/inspect.js';
import { killCommand } from './container/kill.js';
import { logsCommand } from './container/logs.js';
import { psCommand } from './container/ps.js';
import { rmCommand } from './container/rm.js';
import { runCommand } from './container/run.js';
import { startCommand } from './container/start.js';
import { stopCommand } from './container/stop.js';
import { waitCommand } from './container/wait.js';
import { containerExistsCommand } from './container/exists.js';
import { restartCommand } from './container/restart.js';
import { renameCommand } from './container/rename.js';
import { containerPruneCommand } from './container/prune.js';
import { portCommand } from './container/port.js';
import { topCommand } from './container/top.js';
import { pauseCommand } from './container/pause.js';
import { unpauseCommand } from './container/unpause.js';
import { statsCommand } from './container/stats.js';
import { importCommand } from './image/import.js';
import { imagesCommand } from './image/list.js';
import { imageExistsCommand } from './image/exists.js';
import { historyCommand } from './image/history.js';
import { imagePruneCommand } from './image/prune.js';
import { saveCommand } from './image/save.js';
import { loadCommand } from './image/load.js';
import { execCommand } from './container/exec.js';
import { exportCommand } from './container/export.js';
import { diffCommand } from './container/diff.js';
import { commitCommand } from './container/commit.js';
import { cpCommand } from './container/cp.js';
import { rmiCommand } from './image/rm.js';
import { tagCommand } from './image/tag.js';
import { untagCommand } from './image/untag.js';
import { pullCommand } from './image/pull.js';
import { buildCommand } from './image/build.js';
import { pushCommand } from './image/push.js';
import { loginCommand } from './system/login.js';
import { logoutCommand } from './system/logout.js';
import { infoCommand } from './system/info.js';
import { systemPruneCommand } from './system/prune.js';
import { versionCommand } from './system/version.js';
import { networkCreateCommand } from './network/create.js';
import { networkListCommand } from './network/ls.js';
import { networkInspectCommand } from './network/inspect.js';
import { networkExistsCommand } from './network/exists.js';
import { networkRmCommand } from './network/rm.js';
import { networkPruneCommand } from './network/prune.js';
import { networkConnectCommand } from './network/connect.js';
import { networkDisconnectCommand } from './network/disconnect.js';
import { networkReloadCommand } from './network/reload.js';
import { volumeCreateCommand } from './volume/create.js';
import { volumeListCommand } from './volume/ls.js';
import { volumeInspectCommand } from './volume/inspect.js';
import { volumeExistsCommand } from './volume/exists.js';
import { volumeRmCommand } from './volume/rm.js';
import { volumePruneCommand } from './volume/prune.js';
import { volumeExportCommand } from './volume/export.js';
import { volumeImportCommand } from './volume/import.js';
import { volumeMountCommand } from './volume/mount.js';
import { volumeUnmountCommand } from './volume/unmount.js';
import { unshareCommand } from './system/unshare.js';
import { systemDfCommand } from './system/df.js';
import { systemResetCommand } from './system/reset.js';
import { systemMigrateCommand } from './system/migrate.js';
import { mountCommand } from './container/mount.js';
import { umountCommand } from './container/umount.js';

/**
 * The one explicit command table. Help, man pages, completions and the
 * structural tests all walk it. Command modules hold only metadata at load
 * time; their handlers import the engine when they run.
 */
export const COMMANDS: CommandDefinition[] = [
  runCommand,
  createCommand,
  startCommand,
  attachCommand,
  stopCommand,
  killCommand,
  rmCommand,
  psCommand,
  logsCommand,
  waitCommand,
  execCommand,
  restartCommand,
  renameCommand,
  containerPruneCommand,
  portCommand,
  topCommand,
  pauseCommand,
  unpauseCommand,
  statsCommand,
  containerExistsCommand,
  containerInspectCommand,
  inspectCommand,
  importCommand,
  imagesCommand,
  pullCommand,
  pushCommand,
  loginCommand,
  logoutCommand,
  imageInspectCommand,
  tagCommand,
  untagCommand,
  rmiCommand,
  imageExistsCommand,
  historyCommand,
  imagePruneCommand,
  saveCommand,
  loadCommand,
  exportCommand,
  diffCommand,
  commitCommand,
  buildCommand,
  cpCommand,
  infoCommand,
  systemPruneCommand,
  versionCommand,
  networkCreateCommand,
  networkListCommand,
  networkInspectCommand,
  networkExistsCommand,
  networkRmCommand,
  networkPruneCommand,
  networkConnectCommand,
  networkDisconnectCommand,
  networkReloadCommand,
  volumeCreateCommand,
  volumeListCommand,
  volumeInspectCommand,
  volumeExistsCommand,
  volumeRmCommand,
  volumePruneCommand,
  volumeExportCommand,
  volumeImportCommand,
  volumeMountCommand,
  volumeUnmountCommand,
  unshareCommand,
  systemDfCommand,
  systemResetCommand,
  systemMigrateCommand,
  mountCommand,
  umountCommand,
];

/** Finds the command whose path or alias prefixes argv; returns it and how many words it used. */
export function findCommand(words: string[]): { command: CommandDefinition; used: number } | undefined {
  let best: { command: CommandDefinition; used: number } | undefined;
  for (const command of COMMANDS) {
    for (const path of [command.path, ...command.aliases]) {
      if (path.length <= words.length && path.every((w, i) => words[i] === w) && (!best || path.length > best.used)) {
        best = { command, used: path.length };
      }
    }
  }
  return best;
}
