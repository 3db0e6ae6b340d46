import { readFileSync } from 'node:fs';
import { hostname, release, cpus, totalmem, freemem } from 'node:os';
import type { EngineContext } from '../context.js';
import { listContainers } from '../container/record.js';
import { goArch, listImages } from '../image/images.js';
import { readSubIds } from '../../userns/subid.js';
import { userInfo } from 'node:os';
import { SKIFF_VERSION } from '../../config/version.js';


/** How cgroups are mounted here, as `podman info` reports it, plus why rootless limits cannot work. */
export async function cgroupSetup(): Promise<{ version: 'v1' | 'v2'; hybrid: boolean }> {
  const mounts = readFileSync('/proc/self/mounts', 'utf8');
  const v2Root = / \/sys\/fs\/cgroup cgroup2 /.test(mounts);
  const hybrid = !v2Root && / cgroup2 /.test(mounts);
  return { version: v2Root ? 'v2' : 'v1', hybrid };
}

/**
 * `skiff info`: podman's document for what skiff knows. Its enumerable keys
 * are podman's JSON names (`host.security.rootless`, `store.graphRoot`), so
 * `--format json` prints what podman prints; each object also answers to the
 * Go field names podman's templates use (`{{.Host.OCIRuntime.Name}}`), as
 * non-enumerable aliases.
 */
export async function systemInfo(ctx: EngineContext): Promise<Record<string, unknown>> {
  const [runtime, storage, containers, images, cgroups] = await Promise.all([
    ctx.runtime(), ctx.storageChoice(), listContainers(ctx), listImages(ctx), cgroupSetup(),
  ]);
  const running = containers.filter((c) => c.state.status === 'running').length;
  const paused = containers.filter((c) => c.state.status === 'paused').length;
  const user = userInfo();
  const rootless = ctx.rootless;
  const idMap = (file: string, own: number) => {
    const ranges = readSubIds(file, user.username, process.getuid!());
    return [{ container_id: 0, host_id: own, size: 1 }, ...ranges.map((r, i) => ({ container_id: 1 + ranges.slice(0, i).reduce((n, x) => n + x.count, 0), host_id: r.start, size: r.count }))];
  };
  const os = readFileSync('/etc/os-release', 'utf8');
  const distro = (key: string) => new RegExp(`^${key}="?([^"\\n]*)"?`, 'm').exec(os)?.[1] ?? '';
  const { namespaceFsType, storeDriverInfo } = await import('./store-info.js');
  const inNamespace = ctx.needsNsenter ? (argv: string[]) => ctx.execInNamespace(argv) : undefined;
  const driverInfo = await storeDriverInfo(storage, ctx.global.storage, () => namespaceFsType(ctx.global.root, inNamespace));
  const [networkCmd, pasta, slirp4netns] = await Promise.all([
    import('../container/create.js').then((m) => m.defaultNetworkCmd()),
    networkHelper('pasta', 'passt'),
    networkHelper('slirp4netns', 'slirp4netns'),
  ]);
  const doc = {
    host: {
      arch: goArch(),
      buildahVersion: '',
      cgroupManager: 'cgroupfs',
      cgroupVersion: cgroups.version,
      cgroupControllers: [],
      // Rootless limits need cgroup v2 with delegation; say so rather than pretend.
      cgroupNote: rootless && cgroups.version !== 'v2' ? 'resource limits (--memory, --cpus, --pids-limit) cannot be enforced for rootless containers on a cgroup v1 or hybrid host' : '',
      conmon: { package: 'skiff', path: 'skiff monitor (built in)', version: `skiff monitor ${SKIFF_VERSION}` },
      cpus: cpus().length,
      distribution: { distribution: distro('ID'), version: distro('VERSION_ID'), codename: distro('VERSION_CODENAME') },
      eventLogger: 'none',
      hostname: hostname(),
      idMappings: rootless ? { gidmap: idMap('/etc/subgid', process.getgid!()), uidmap: idMap('/etc/subuid', process.getuid!()) } : {},
      kernel: release(),
      logDriver: 'k8s-file',
      memFree: freemem(),
      memTotal: totalmem(),
      networkBackend: 'slirp4netns',
      ociRuntime: { name: runtime.name, package: '', path: runtime.path, version: runtime.version, notes: runtime.notes },
      os: 'linux',
      pasta,
      rootlessNetworkCmd: networkCmd,
      serviceIsRemote: false,
      slirp4netns,
      security: { apparmorEnabled: false, rootless, seccompEnabled: false, selinuxEnabled: false },
      uptime: readFileSync('/proc/uptime', 'utf8').split(' ')[0] + 's',
    },
    store: {
      configFile: ctx.global.storage?.configFile ?? '',
      containerStore: { number: containers.length, paused, running, stopped: containers.length - running - paused },
      graphDriverName: storage.driver,
      // Ours, not podman's: why this driver (and mount program) was chosen.
      graphDriverReason: driverInfo.graphDriverReason,
      graphOptions: driverInfo.graphOptions,
      graphRoot: ctx.global.root,
      graphStatus: driverInfo.graphStatus,
      imageStore: { number: images.length },
      runRoot: ctx.global.runroot,
      volumePath: `${ctx.global.root}/volumes`,
    },
    version: versionReport(),
  };
  return withGoFieldNames(doc, INFO_GO_NAMES, ['graphOptions', 'graphStatus']);
}

/** podman info's host.pasta / host.slirp4netns: the program found on PATH, its Debian package and version line. */
async function networkHelper(program: string, debianPackage: string): Promise<{ executable: string; package: string; version: string }> {
  const { findProgram } = await import('../../network/pasta.js');
  const { exec } = await import('../../util/exec.js');
  const executable = findProgram(program) ?? '';
  if (!executable) return { executable, package: '', version: '' };
  const [version, pkg] = await Promise.all([
    exec(executable, ['--version'], { timeoutMs: 2000 }).then((r) => r.stdout.split('\n')[0]?.trim() ?? '', () => ''),
    exec('dpkg-query', ['-W', '-f', '${Package}_${Version}_${Architecture}', debianPackage], { timeoutMs: 2000 }).then((r) => (r.exitCode === 0 ? r.stdout.trim() : ''), () => ''),
  ]);
  return { executable, package: pkg, version };
}

/** JSON keys of `podman info` whose Go field name is not the key capitalized. */
const INFO_GO_NAMES: Record<string, string> = {
  cgroupVersion: 'CgroupsVersion',
  cpus: 'CPUs',
  idMappings: 'IDMappings',
  uidmap: 'UIDMap',
  gidmap: 'GIDMap',
  container_id: 'ContainerID',
  host_id: 'HostID',
  ociRuntime: 'OCIRuntime',
  os: 'OS',
  apparmorEnabled: 'AppArmorEnabled',
  seccompEnabled: 'SECCOMPEnabled',
  selinuxEnabled: 'SELinuxEnabled',
};

/**
 * Adds to every object in `doc` (in place) a non-enumerable alias per key,
 * named as the Go field: `irregular[key]`, else the key capitalized. Objects
 * under a key in `maps` are Go maps: their keys stay as they are.
 */
export function withGoFieldNames<T>(doc: T, irregular: Record<string, string>, maps: string[] = []): T {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!maps.includes(key)) visit(record[key]);
      const goName = irregular[key] ?? key.charAt(0).toUpperCase() + key.slice(1);
      if (goName !== key && !Object.hasOwn(record, goName)) {
        Object.defineProperty(record, goName, { get: () => record[key], enumerable: false });
      }
    }
  };
  visit(doc);
  return doc;
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
