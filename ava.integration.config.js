// Slow tier: the real bin/skiff against real runtimes, namespaces and registries.
export default {
  files: ['build/test/integration/**/*.test.js'],
  workerThreads: false,
  concurrency: 2,
  timeout: '120s',
};
