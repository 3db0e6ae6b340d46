import test from 'ava';
import type { ContainerSpec, NetworkMode } from '../../../src/runtime/spec/container-spec.js';
import { CapabilityError, generateRuntimeSpec, mergeCapabilities } from '../../../src/runtime/spec/generate.js';
import type { Mount } from '../../../src/oci/runtime-spec.js';

// Expected values are pinned here, not imported from the code under test, so
// a change to skiff's defaults shows up as a failing test.

/**
 * podman 4/5's default capabilities: containers/common pkg/config/containers.conf
 * `default_capabilities` (CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL,
 * NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT), sorted.
 */
const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
];

/** Capabilities 0..40 of linux/capability.h (CAP_LAST_CAP = CAP_CHECKPOINT_RESTORE), in number order. */
const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** podman's default PATH (containers.conf `env`), for images that set none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const ID = 'a'.repeat(64);
const NETNS = '/run/user/1000/netns/skiff-aaaa';
const SLIRP: NetworkMode = { mode: 'slirp4netns', allowHostLoopback: false, mtu: 65520 };

/** A rootless root-user container on slirp4netns; tests override what they exercise. */
function makeSpec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    id: ID,
    name: 'web',
    command: ['/bin/sh', '-c', 'echo hi'],
    env: [],
    workingDir: '/',
    user: { uid: 0, gid: 0, additionalGids: [] },
    hostname: 'aaaaaaaaaaaa',
    terminal: false,
    network: SLIRP,
    netnsPath: NETNS,
    etcFiles: { hosts: '/data/c/hosts', resolvConf: '/data/c/resolv.conf', hostname: '/data/c/hostname' },
    rootfs: '/data/c/merged',
    readOnlyRootfs: false,
    rootless: true,
    capAdd: [],
    capDrop: [],
    labels: {},
    annotations: {},
    ...overrides,
  };
}

const mountAt = (mounts: Mount[] | undefined, destination: string) => mounts?.find((m) => m.destination === destination);

// The whole document once, so any unintended change to the shape shows up here.
test('rootless slirp4netns container matches the podman-style config.json', (t) => {
  const spec = generateRuntimeSpec(
    makeSpec({ env: ['FOO=bar'], annotations: { 'io.skiff.x': 'y' }, labels: { maintainer: 'me' } }),
  );
  t.deepEqual(spec, {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0, additionalGids: [] },
      args: ['/bin/sh', '-c', 'echo hi'],
      env: [`PATH=${DEFAULT_PATH}`, 'TERM=xterm', 'container=skiff', 'FOO=bar', 'HOSTNAME=aaaaaaaaaaaa'],
      cwd: '/',
      capabilities: {
        bounding: [...DEFAULT_CAPABILITIES],
        effective: [...DEFAULT_CAPABILITIES],
        inheritable: [],
        permitted: [...DEFAULT_CAPABILITIES],
        ambient: [],
      },
      noNewPrivileges: false,
    },
    root: { path: '/data/c/merged', readonly: false },
    hostname: 'aaaaaaaaaaaa',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/etc/hosts', type: 'bind', source: '/data/c/hosts', options: ['bind', 'rprivate'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: '/data/c/resolv.conf', options: ['bind', 'rprivate'] },
      { destination: '/etc/hostname', type: 'bind', source: '/data/c/hostname', options: ['bind', 'rprivate'] },
    ],
    annotations: { 'io.skiff.x': 'y' },
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network', path: NETNS }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/proc/scsi',
        '/sys/firmware',
        '/sys/fs/selinux',
        '/sys/dev/block',
      ],
      readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  });
});

test('generation is pure: same input, equal output, input untouched', (t) => {
  const input = makeSpec({ env: ['A=1'], capAdd: ['NET_ADMIN'] });
  const before = structuredClone(input);
  const a = generateRuntimeSpec(input);
  a.process!.args!.push('mutated');
  a.process!.capabilities!.bounding!.push('CAP_MUTATED');
  a.linux!.maskedPaths!.push('/mutated');
  t.deepEqual(input, before);
  t.deepEqual(generateRuntimeSpec(input), generateRuntimeSpec(before));
  t.false(generateRuntimeSpec(input).linux!.maskedPaths!.includes('/mutated'));
  t.false(generateRuntimeSpec(input).process!.capabilities!.bounding!.includes('CAP_MUTATED'));
});

// --- environment ---

const envCase = test.macro({
  exec(t, overrides: Partial<ContainerSpec>, expected: string[]) {
    t.deepEqual(generateRuntimeSpec(makeSpec(overrides)).process?.env, expected);
  },
  title: (provided) => `env: ${provided ?? ''}`,
});

test('defaults added to an empty env', envCase, {}, [`PATH=${DEFAULT_PATH}`, 'TERM=xterm', 'container=skiff', 'HOSTNAME=aaaaaaaaaaaa']);
test('image PATH replaces the default', envCase, { env: ['PATH=/opt/bin'] }, [
  'PATH=/opt/bin',
  'TERM=xterm',
  'container=skiff',
  'HOSTNAME=aaaaaaaaaaaa',
]);
test('TERM=xterm with a terminal too (podman sets it with or without -t)', envCase, { terminal: true }, [
  `PATH=${DEFAULT_PATH}`,
  'TERM=xterm',
  'container=skiff',
  'HOSTNAME=aaaaaaaaaaaa',
]);
test('explicit TERM is kept', envCase, { terminal: true, env: ['TERM=vt100'] }, [
  `PATH=${DEFAULT_PATH}`,
  'TERM=vt100',
  'container=skiff',
  'HOSTNAME=aaaaaaaaaaaa',
]);
test('explicit HOSTNAME and container are kept', envCase, { env: ['HOSTNAME=box', 'container=docker'] }, [
  `PATH=${DEFAULT_PATH}`,
  'TERM=xterm',
  'container=docker',
  'HOSTNAME=box',
]);
test('later duplicate wins, at the first position', envCase, { env: ['A=1', 'B=2', 'A=3', 'EMPTY='] }, [
  `PATH=${DEFAULT_PATH}`,
  'TERM=xterm',
  'container=skiff',
  'A=3',
  'B=2',
  'EMPTY=',
  'HOSTNAME=aaaaaaaaaaaa',
]);
test('value containing "=" is kept whole', envCase, { env: ['OPTS=a=b=c'] }, [
  `PATH=${DEFAULT_PATH}`,
  'TERM=xterm',
  'container=skiff',
  'OPTS=a=b=c',
  'HOSTNAME=aaaaaaaaaaaa',
]);
test('--unsetenv leaves out the named defaults; the spec env (image and --env) still sets them', envCase, { unsetDefaultEnv: ['TERM', 'PATH'], env: ['PATH=/opt/bin'] }, [
  'container=skiff',
  'PATH=/opt/bin',
  'HOSTNAME=aaaaaaaaaaaa',
]);
test('--unsetenv-all leaves out every default but HOSTNAME', envCase, { unsetDefaultEnv: 'all', env: ['TERM=abc'] }, [
  'TERM=abc',
  'HOSTNAME=aaaaaaaaaaaa',
]);

// --- capabilities ---

const NON_ROOT = { uid: 1000, gid: 1000, additionalGids: [10] };
const sorted = (caps: readonly string[]) => [...caps].sort();

const capsCase = test.macro({
  exec(t, overrides: Partial<ContainerSpec>, expected: { set: readonly string[]; root: boolean }) {
    const caps = generateRuntimeSpec(makeSpec(overrides)).process?.capabilities;
    const active = expected.root ? [...expected.set] : [];
    t.deepEqual(caps, { bounding: [...expected.set], effective: active, inheritable: [], permitted: active, ambient: [] });
  },
  title: (provided) => `capabilities: ${provided ?? ''}`,
});

test('root gets the default set everywhere but inheritable/ambient', capsCase, {}, { set: DEFAULT_CAPABILITIES, root: true });
test('non-root keeps the set only in bounding', capsCase, { user: NON_ROOT }, { set: DEFAULT_CAPABILITIES, root: false });
test('cap-add extends the set (sorted)', capsCase, { capAdd: ['CAP_NET_ADMIN'] }, {
  set: sorted([...DEFAULT_CAPABILITIES, 'CAP_NET_ADMIN']),
  root: true,
});
test('cap-drop shrinks the set', capsCase, { capDrop: ['CAP_CHOWN', 'CAP_KILL'] }, {
  set: DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_CHOWN' && c !== 'CAP_KILL'),
  root: true,
});
test('cap-drop ALL leaves nothing', capsCase, { capDrop: ['ALL'] }, { set: [], root: true });
test('cap-drop ALL with cap-add keeps only the added', capsCase, { capDrop: ['all'], capAdd: ['net_raw', 'CAP_CHOWN'] }, {
  set: ['CAP_CHOWN', 'CAP_NET_RAW'],
  root: true,
});
test('cap-add ALL grants every capability', capsCase, { capAdd: ['ALL'] }, { set: sorted(ALL_CAPABILITIES), root: true });
test('cap-add ALL minus a drop', capsCase, { capAdd: ['ALL'], capDrop: ['SYS_ADMIN'] }, {
  set: sorted(ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_ADMIN')),
  root: true,
});
test('non-root with cap-add still only bounding', capsCase, { user: NON_ROOT, capAdd: ['NET_ADMIN'] }, {
  set: sorted([...DEFAULT_CAPABILITIES, 'CAP_NET_ADMIN']),
  root: false,
});

const capsError = test.macro({
  exec(t, add: string[], drop: string[], message: RegExp) {
    t.throws(() => mergeCapabilities(DEFAULT_CAPABILITIES, add, drop), { instanceOf: CapabilityError, message });
    t.throws(() => generateRuntimeSpec(makeSpec({ capAdd: add, capDrop: drop })), { instanceOf: CapabilityError });
  },
  title: (provided) => `capabilities rejected: ${provided ?? ''}`,
});

test('ALL in both lists', capsError, ['ALL'], ['ALL'], /adding all caps and removing all caps/);
test('same capability added and dropped', capsError, ['NET_ADMIN'], ['CAP_NET_ADMIN'], /"CAP_NET_ADMIN" cannot be dropped and added/);
test('unknown name in cap-add', capsError, ['CAP_FLY'], [], /unknown capability "CAP_FLY"/);
test('unknown name in cap-drop', capsError, [], ['bogus'], /unknown capability "bogus"/);

test('mergeCapabilities without changes returns the sorted base', (t) => {
  t.deepEqual(mergeCapabilities(['CAP_KILL', 'CAP_CHOWN'], [], []), ['CAP_CHOWN', 'CAP_KILL']);
  t.deepEqual(mergeCapabilities(DEFAULT_CAPABILITIES, ['CAP_CHOWN'], []), [...DEFAULT_CAPABILITIES]);
});

// --- network: namespaces and /sys ---

const SYSFS: Mount = { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] };
const SYS_BIND: Mount = {
  destination: '/sys',
  type: 'bind',
  source: '/sys',
  options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'ro', 'rbind'],
};

const networkCase = test.macro({
  exec(
    t,
    overrides: Partial<ContainerSpec>,
    expected: { network: { type: 'network'; path?: string } | undefined; sys: Mount; cgroupMount: boolean },
  ) {
    const spec = generateRuntimeSpec(makeSpec(overrides));
    const namespaces = spec.linux?.namespaces ?? [];
    t.deepEqual(
      namespaces.filter((ns) => ns.type !== 'network'),
      [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    );
    t.false(namespaces.some((ns) => ns.type === 'user' || ns.type === 'cgroup'));
    t.deepEqual(
      namespaces.find((ns) => ns.type === 'network'),
      expected.network,
    );
    t.deepEqual(mountAt(spec.mounts, '/sys'), expected.sys);
    t.is(mountAt(spec.mounts, '/sys/fs/cgroup') !== undefined, expected.cgroupMount);
    // The hostname is set in every mode: the UTS namespace is always private.
    t.is(spec.hostname, 'aaaaaaaaaaaa');
  },
  title: (provided) => `network: ${provided ?? ''}`,
});

test('slirp4netns joins the prepared netns', networkCase, { network: SLIRP, netnsPath: NETNS }, {
  network: { type: 'network', path: NETNS },
  sys: SYSFS,
  cgroupMount: false,
});
test('none gets a fresh netns', networkCase, { network: { mode: 'none' }, netnsPath: undefined }, {
  network: { type: 'network' },
  sys: SYSFS,
  cgroupMount: false,
});
test('none with a prepared netns joins it', networkCase, { network: { mode: 'none' }, netnsPath: '/run/netns/x' }, {
  network: { type: 'network', path: '/run/netns/x' },
  sys: SYSFS,
  cgroupMount: false,
});
test('host, rootless: no netns and /sys bind-mounted', networkCase, { network: { mode: 'host' }, netnsPath: undefined }, {
  network: undefined,
  sys: SYS_BIND,
  cgroupMount: false,
});
test('host, rootful: no netns but sysfs', networkCase, { network: { mode: 'host' }, netnsPath: undefined, rootless: false }, {
  network: undefined,
  sys: SYSFS,
  cgroupMount: true,
});

test('/sys is mounted exactly once', (t) => {
  for (const network of [SLIRP, { mode: 'none' as const }, { mode: 'host' as const }]) {
    const mounts = generateRuntimeSpec(makeSpec({ network })).mounts ?? [];
    t.is(mounts.filter((m) => m.destination === '/sys').length, 1, network.mode);
  }
});

// --- rootless vs rootful ---

test('rootless: no rlimits, cgroupsPath, resources or devices', (t) => {
  const spec = generateRuntimeSpec(makeSpec());
  t.is(spec.process?.rlimits, undefined);
  t.is(spec.linux?.cgroupsPath, undefined);
  t.is(spec.linux?.resources, undefined);
  t.is(spec.linux?.devices, undefined);
  t.is(spec.linux?.seccomp, undefined);
  t.is(spec.process?.oomScoreAdj, undefined);
});

test('single-id mapping: devpts without gid=5 (the tty group is not mapped)', (t) => {
  const devpts = generateRuntimeSpec(makeSpec({ singleIdMapping: true })).mounts?.find((m) => m.destination === '/dev/pts');
  t.false(devpts?.options?.includes('gid=5'));
  const full = generateRuntimeSpec(makeSpec()).mounts?.find((m) => m.destination === '/dev/pts');
  t.true(full?.options?.includes('gid=5'));
});

test('rootful: NOFILE rlimit and a cgroupsPath', (t) => {
  const spec = generateRuntimeSpec(makeSpec({ rootless: false }));
  t.deepEqual(spec.process?.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }]);
  // Clamped to what the engine may grant, else the runtime fails to start.
  const clamped = generateRuntimeSpec(makeSpec({ rootless: false, nofileLimit: 524288 }));
  t.deepEqual(clamped.process?.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 524288, hard: 524288 }]);
  t.is(spec.linux?.cgroupsPath, `/skiff/${ID}`);
});

// --- process and root ---

const processCase = test.macro({
  exec(t, overrides: Partial<ContainerSpec>, check: (spec: ReturnType<typeof generateRuntimeSpec>) => unknown, expected: unknown) {
    t.deepEqual(check(generateRuntimeSpec(makeSpec(overrides))), expected);
  },
  title: (provided) => `process/root: ${provided ?? ''}`,
});

const tty = (s: ReturnType<typeof generateRuntimeSpec>) => [s.process?.terminal, s.process?.consoleSize];
const SIZE = { rows: 24, cols: 80 };

test('consoleSize mapped to height/width', processCase, { terminal: true, consoleSize: SIZE }, tty, [true, { height: 24, width: 80 }]);
test('no consoleSize when not given', processCase, { terminal: true }, tty, [true, undefined]);
test('consoleSize ignored without a terminal', processCase, { terminal: false, consoleSize: SIZE }, tty, [false, undefined]);
test('read-only rootfs', processCase, { readOnlyRootfs: true }, (s) => s.root, { path: '/data/c/merged', readonly: true });
test('writable rootfs', processCase, { readOnlyRootfs: false }, (s) => s.root, { path: '/data/c/merged', readonly: false });
test('empty workingDir defaults to /', processCase, { workingDir: '' }, (s) => s.process?.cwd, '/');
test('workingDir is used as cwd', processCase, { workingDir: '/srv/app' }, (s) => s.process?.cwd, '/srv/app');
test('user and supplementary groups', processCase, { user: NON_ROOT }, (s) => s.process?.user, NON_ROOT);
test('labels are not annotations', processCase, { labels: { a: 'b' }, annotations: {} }, (s) => s.annotations, {});
