import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { SKIFF_VERSION } from '../../../src/config/version.js';
import { PROJECT_ROOT } from '../../../src/config/entry-points.js';

test('SKIFF_VERSION is package.json\'s version (bin/skiff answers a bare --version from package.json)', (t) => {
  const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  t.is(SKIFF_VERSION, version);
});
