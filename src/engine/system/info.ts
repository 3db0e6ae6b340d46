import { readFileSync } from 'node:fs';
import { hostname, release, cpus, totalmem, freemem } from 'node:os';
import type { EngineContext } from '../context.js';
import { listContainers } from '../container/record.js';
import { goArch, listImages } from '../image/images.js';
import { readJsonIfExists } from '../../util/fs.js';
import { readSubIds } from '../../userns/subid.js';
import { userInfo } from 'node:os';

export const SKIFF_VERSION = '0.1.0';

/** How cgroups are mounted here, as `podman info` reports it, plus why rootless limits cannot work. */
export async function cgroupSetup(): Promise<{ version: 'v1' | 'v2'; hybrid: boolean }> {
  const mounts = readFileSync('/proc/self/mounts', 'utf8');
  const v2Root = / \/sys\/fs\/cgroup cgroup2 /.test(mounts);
  const hybrid = !v2Root && / cgroup2 /.test(mounts);
  return { version: v2Root ? 'v2' : 'v1', hybrid };
}

/** `skiff info`: podman's field names (Host, Store, Version) for what skiff knows. */
export async function systemInfo(ctx: EngineContext): Promise<Record<string, unknown>> {
  const [runtime, driver, containers, images, cgroups] = await Promise.all([
    ctx.runtime(), ctx.storageDriver(), listContainers(ctx), listImages(ctx), cgroupSetup(),
  ]);
  const running = containers.filter((c) => c.state.status === 'running').length;
  const user = userInfo();
  const rootless = ctx.rootless;
  const idMap = (file: string, own: number) => {
    const ranges = readSubIds(file, user.username, process.getuid!());
    return [{ container_id: 0, host_id: own, size: 1 }, ...ranges.map((r, i) => ({ container_id: 1 + ranges.slice(0, i).reduce((n, x) => n + x.count, 0), host_id: r.start, size: r.count }))];
  };
  const os = readFileSync('/etc/os-release', 'utf8');
  const distro = (key: string) => new RegExp(`^${key}="?([^"\\n]*)"?`, 'm').exec(os)?.[1] ?? '';
  const probe = await readJsonIfExists<{ reason?: string }>(ctx.layout.storageProbeFile);
  return {
    Host: {
      Arch: goArch(),
      BuildahVersion: '',
      CgroupManager: 'cgroupfs',
      CgroupsVersion: cgroups.version,
      CgroupControllers: [],
      // Rootless limits need cgroup v2 with delegation; say so rather than pretend.
      CgroupNote: rootless && cgroups.version !== 'v2' ? 'resource limits (--memory, --cpus, --pids-limit) cannot be enforced for rootless containers on a cgroup v1 or hybrid host' : '',
      Conmon: { Package: 'skiff', Path: 'skiff monitor (built in)', Version: `skiff monitor ${SKIFF_VERSION}` },
      CPUs: cpus().length,
      Distribution: { Distribution: distro('ID'), Version: distro('VERSION_ID'), Codename: distro('VERSION_CODENAME') },
      Hostname: hostname(),
      IDMappings: rootless ? { uidmap: idMap('/etc/subuid', process.getuid!()), gidmap: idMap('/etc/subgid', process.getgid!()) } : {},
      Kernel: release(),
      MemFree: freemem(),
      MemTotal: totalmem(),
      NetworkBackend: 'slirp4netns',
      OCIRuntime: { Name: runtime.name, Package: '', Path: runtime.path, Version: runtime.version, Notes: runtime.notes },
      OS: 'linux',
      Security: { Rootless: rootless, SECCOMPEnabled: false, SELinuxEnabled: false, AppArmorEnabled: false },
      Uptime: readFileSync('/proc/uptime', 'utf8').split(' ')[0] + 's',
    },
    Store: {
      ConfigFile: '',
      ContainerStore: { number: containers.length, paused: 0, running, stopped: containers.length - running },
      GraphDriverName: driver,
      GraphOptions: {},
      GraphRoot: ctx.global.root,
      GraphStatus: driver === 'vfs' && probe?.reason ? { 'Overlay Refused': probe.reason } : {},
      ImageStore: { number: images.length },
      RunRoot: ctx.global.runroot,
      VolumePath: `${ctx.global.root}/volumes`,
    },
    Version: versionReport(),
  };
}

export function versionReport(): Record<string, unknown> {
  return {
    APIVersion: SKIFF_VERSION,
    Version: SKIFF_VERSION,
    GoVersion: `node ${process.version}`,
    GitCommit: '',
    BuiltTime: '',
    Built: 0,
    OsArch: `linux/${goArch()}`,
    Os: 'linux',
  };
}
