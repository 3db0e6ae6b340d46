// Fast tier: pure logic, compiled by tsconfig.test.json into build/.
export default {
  files: ['build/test/unit/**/*.test.js'],
  workerThreads: false,
  timeout: '30s',
};
