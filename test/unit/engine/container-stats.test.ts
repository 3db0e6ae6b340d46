import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  onlyThese, parseCgroupCpuStat, parseCgroupIoStat, parseNetDev, parseProcIo, parseProcStatTicks, parseSmapsRollupPss, readCgroupV2,
  statsReport, unifiedCgroupPath, type StatsSample,
} from '../../../src/engine/container/stats.js';
import { bytesSize, goDuration, humanSize, percent } from '../../../src/cli/output/views/container-stats-view.js';

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  123456     100    0    0    0     0          0         0   123456     100    0    0    0     0       0          0
  tap0: 3000000    2100    0    0    0     0          0         0    52000     800    0    0    0     0       0          0
  eth1:     500       5    0    0    0     0          0         0      700       7    0    0    0     0       0          0
`;

test('parseNetDev sums received and sent bytes of every interface but lo', (t) => {
  t.deepEqual(parseNetDev(NET_DEV), { netInput: 3_000_500, netOutput: 52_700 });
  t.deepEqual(parseNetDev(NET_DEV.split('\n').slice(0, 3).join('\n')), { netInput: 0, netOutput: 0 });
  t.deepEqual(parseNetDev(''), { netInput: 0, netOutput: 0 });
});

test('parseProcStatTicks: utime+stime plus reaped children, past a command name with spaces and parens', (t) => {
  const stat = '4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 700 50 30 20 20 0 1 0 12345 1000 100 18446744073709551615';
  t.deepEqual(parseProcStatTicks(stat), { total: 700 + 50 + 30 + 20, system: 50 + 20 });
});

test('parseSmapsRollupPss reads Pss in bytes; undefined without it', (t) => {
  const text = '00400000-7ffcba7d5000 ---p 00000000 00:00 0   [rollup]\nRss:               21768 kB\nPss:               20760 kB\nPss_Anon:          19600 kB\n';
  t.is(parseSmapsRollupPss(text), 20760 * 1024);
  t.is(parseSmapsRollupPss(''), undefined);
});

test('parseProcIo takes read_bytes and write_bytes, not rchar/wchar', (t) => {
  const text = 'rchar: 999999\nwchar: 888888\nsyscr: 10\nsyscw: 5\nread_bytes: 4096\nwrite_bytes: 16384\ncancelled_write_bytes: 0\n';
  t.deepEqual(parseProcIo(text), { read: 4096, write: 16384 });
  t.deepEqual(parseProcIo(''), { read: 0, write: 0 });
});

test('cgroup v2 files: cpu.stat in ns, io.stat summed over devices', (t) => {
  t.deepEqual(parseCgroupCpuStat('usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n'), { cpuNano: 1.5e9, cpuSystemNano: 5e8 });
  t.is(parseCgroupCpuStat('nr_periods 0\n'), undefined);
  t.deepEqual(parseCgroupIoStat('8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n259:0 rbytes=10 wbytes=20 rios=1 wios=1\n'), { blockInput: 1010, blockOutput: 2020 });
});

test('a cgroup v2 is the container\'s own only when it has a path of its own and holds only its processes', (t) => {
  t.is(unifiedCgroupPath('0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-abc.scope\n'), '/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-abc.scope');
  t.is(unifiedCgroupPath('12:memory:/x\n0::/\n'), undefined, 'the root: shared with everything');
  t.is(unifiedCgroupPath('4:memory:/process_api/f0f1\n1:cpu:/\n'), undefined, 'cgroup v1 only');
  t.is(unifiedCgroupPath('0::/a/../b\n'), undefined);
  t.true(onlyThese('100\n101\n', [100, 101, 102]));
  t.false(onlyThese('100\n999\n', [100, 101]), 'another process: the user\'s session, not the container');
  t.false(onlyThese('', [100]));
});

test('readCgroupV2 reads a cgroup directory; the host memory when memory.max is max or larger', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cg-'));
  try {
    await writeFile(join(dir, 'cpu.stat'), 'usage_usec 2000000\nuser_usec 1500000\nsystem_usec 500000\n');
    await writeFile(join(dir, 'memory.current'), '21000000\n');
    await writeFile(join(dir, 'memory.max'), 'max\n');
    await writeFile(join(dir, 'pids.current'), '4\n');
    await writeFile(join(dir, 'io.stat'), '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2\n');
    t.deepEqual(readCgroupV2(dir, 8e9), {
      cpuNano: 2e9, cpuSystemNano: 5e8, memUsage: 21e6, memLimit: 8e9, pids: 4, blockInput: 4096, blockOutput: 8192,
    });
    await writeFile(join(dir, 'memory.max'), '52428800\n');
    t.is(readCgroupV2(dir, 8e9)?.memLimit, 52_428_800);
    await writeFile(join(dir, 'memory.max'), '99000000000\n');
    t.is(readCgroupV2(dir, 8e9)?.memLimit, 8e9);
    await rm(join(dir, 'memory.current'));
    t.is(readCgroupV2(dir, 8e9), undefined, 'no memory controller: the /proc figures instead');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const sample = (at: number, cpuNano: number): StatsSample => ({
  at, cpuNano, cpuSystemNano: 0, memUsage: 20e6, memLimit: 8e9, pids: 3, blockInput: 0, blockOutput: 0, netInput: 0, netOutput: 0, source: 'proc',
});

test('statsReport: CPU % over the interval, average since the start, memory share; zeros without a sample', (t) => {
  const started = 1_000e9;
  const r = statsReport('a'.repeat(64), 'web', sample(1_010e9, 6e9), sample(1_009.5e9, 5.5e9), started);
  t.is(r.CPU, 100);
  t.is(r.AvgCPU, 60);
  t.is(r.MemPerc, 0.25);
  t.is(r.PIDs, 3);
  t.is(statsReport('a', 'web', sample(1_010e9, 6e9), undefined, started).CPU, 60, 'first sample: since the start');
  const none = statsReport('a', 'web', undefined, undefined, started);
  t.is(none.source, 'none');
  t.deepEqual([none.CPU, none.MemUsage, none.MemLimit, none.PIDs, none.MemPerc], [0, 0, 0, 0, 0]);
});

test('numbers as podman prints them', (t) => {
  t.is(humanSize(0), '0B');
  t.is(humanSize(999), '999B');
  t.is(humanSize(20_971_520), '20.97MB');
  t.is(humanSize(8_200_000_000), '8.2GB');
  t.is(humanSize(25_276_416_000), '25.28GB');
  t.is(bytesSize(20_971_520), '20MiB');
  t.is(bytesSize(1536), '1.5KiB');
  t.is(percent(1.234), '1.23%');
  t.is(percent(0), '0.00%');
  t.is(percent(153.456), '153.46%');
});

test('goDuration prints ns as Go time.Duration does', (t) => {
  t.is(goDuration(0), '0s');
  t.is(goDuration(999), '999ns');
  t.is(goDuration(1500), '1.5µs');
  t.is(goDuration(110e6), '110ms');
  t.is(goDuration(1.234567891e9), '1.234567891s');
  t.is(goDuration(30.97e9), '30.97s');
  t.is(goDuration(62e9), '1m2s');
  t.is(goDuration(3_723.5e9), '1h2m3.5s');
});
