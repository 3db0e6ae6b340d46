import { join } from 'node:path';

/**
 * Where everything lives under the graph root (persistent) and the run root
 * (volatile). The one place that knows the on-disk layout of DESIGN.md.
 */
export class StoreLayout {
  constructor(readonly graphRoot: string, readonly runRoot: string) {}

  get blobsDir(): string { return join(this.graphRoot, 'blobs', 'sha256'); }
  blobPath(hex: string): string { return join(this.blobsDir, hex); }
  get tmpDir(): string { return join(this.graphRoot, 'tmp'); }

  get imagesIndex(): string { return join(this.graphRoot, 'images', 'images.json'); }
  get imagesLock(): string { return join(this.graphRoot, 'images', 'images.lock'); }

  get layersDir(): string { return join(this.graphRoot, 'layers'); }
  layerDir(id: string): string { return join(this.layersDir, id); }
  layerDiff(id: string): string { return join(this.layersDir, id, 'diff'); }
  layerRecord(id: string): string { return join(this.layersDir, id, 'layer.json'); }
  get layersLock(): string { return join(this.layersDir, 'layers.lock'); }

  get containersDir(): string { return join(this.graphRoot, 'containers'); }
  containerDir(id: string): string { return join(this.containersDir, id); }
  containerConfig(id: string): string { return join(this.containerDir(id), 'config.json'); }
  containerState(id: string): string { return join(this.containerDir(id), 'state.json'); }
  /** What the monitor is told to run (monitor/protocol.ts's MonitorConfig), written by create. */
  containerMonitorConfig(id: string): string { return join(this.containerDir(id), 'monitor.json'); }
  containerLog(id: string): string { return join(this.containerDir(id), 'ctr.log'); }
  containerBundle(id: string): string { return join(this.containerDir(id), 'bundle'); }
  containerUserData(id: string): string { return join(this.containerDir(id), 'userdata'); }
  /** Overlay upper/work/merged, or the vfs copy, of a container's rootfs. */
  containerRootfsDir(id: string): string { return join(this.containerDir(id), 'rootfs'); }
  /** One directory per exec session: its process spec, pid file, runtime log and session.json. */
  containerExecDir(id: string): string { return join(this.containerDir(id), 'exec'); }
  execSessionDir(id: string, execId: string): string { return join(this.containerExecDir(id), execId); }
  get namesDir(): string { return join(this.containersDir, '.names'); }
  nameFile(name: string): string { return join(this.namesDir, name); }
  /** Guards reclaiming and releasing names (a first claim needs no lock). */
  get namesLock(): string { return join(this.containersDir, '.names.lock'); }
  /** Held while a container's state changes or it is removed; removed with the container. */
  containerLock(id: string): string { return join(this.containerDir(id), 'lock'); }

  /** User networks: one NAME.json per network (network/network-store.ts). */
  get networksDir(): string { return join(this.graphRoot, 'networks'); }
  /** The rootless network namespace, netavark's state, IP leases and containers' network state. */
  get networksRunDir(): string { return join(this.runRoot, 'networks'); }

  /** Volumes: `<name>/volume.json` and `<name>/_data` (store/volumes.ts). */
  get volumesDir(): string { return join(this.graphRoot, 'volumes'); }

  /** Short: unix socket paths are limited to 108 bytes. */
  attachSocket(id: string): string { return join(this.runRoot, 's', id.slice(0, 12)); }
  netnsFile(id: string): string { return join(this.runRoot, 'netns', id.slice(0, 12)); }
  get runtimeRoot(): string { return join(this.runRoot, 'runtime'); }
  get storageProbeFile(): string { return join(this.runRoot, 'storage-driver.json'); }
}
