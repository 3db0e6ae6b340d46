// Every running container keeps one monitor, so what the monitor loads at
// start-up is paid per container for as long as it runs (issue 10). Node's
// built-in modules it never uses must stay out of its module graph: node:crypto
// alone costs each monitor about 0.5 MiB of private memory.
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The monitor as shipped (the bundle `npm run build` makes, which `npm test`
// runs first) and as compiled next to this test (build/src/monitor/main.js).
const MONITORS = [
  fileURLToPath(new URL('../../../../lib/monitor.cjs', import.meta.url)),
  fileURLToPath(new URL('../../../src/monitor/main.js', import.meta.url)),
];

// Prints, when the process exits, the built-in modules it loaded.
const REPORT_BUILTINS = `process.on('exit', () => process.stdout.write(JSON.stringify(process.moduleLoadList)))`;

const UNUSED = ['crypto', 'zlib', 'http', 'https', 'tls', 'worker_threads', 'readline'];

for (const monitor of MONITORS) test(`the monitor loads no unused built-in module (node:crypto among them) at start-up: ${monitor.replace(/^.*\/(lib|build)\//, '$1/')}`, async (t) => {
  // A config that does not exist: the monitor imports everything, fails to read it and exits 1.
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', `data:text/javascript,${encodeURIComponent(REPORT_BUILTINS)}`, monitor, '/nonexistent/skiff-monitor-config.json'],
      { timeout: 20_000 },
      (err, stdout) => (err && (err as { code?: unknown }).code !== 1 ? reject(err) : resolve(stdout)),
    );
  });
  const loaded = JSON.parse(out) as string[];
  t.true(loaded.includes('NativeModule net'), `the report lists what the monitor loaded: ${loaded.length} entries`);
  t.deepEqual(UNUSED.filter((m) => loaded.includes(`NativeModule ${m}`)), []);
});
