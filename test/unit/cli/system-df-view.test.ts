// `system df`'s numbers as podman prints them: go-units HumanSize (four
// significant digits, no space) and the summary's active/reclaimable sums.
import test from 'ava';
import { dfSummary, goHumanSize } from '../../../src/cli/output/views/system-df-view.js';

test('sizes as go-units HumanSize', (t) => {
  t.deepEqual([0, 12, 999, 1000, 1998000, 99_580_000, 1.5e9].map(goHumanSize), ['0B', '12B', '999B', '1kB', '1.998MB', '99.58MB', '1.5GB']);
});

test('summary: active and reclaimable as podman sums them', (t) => {
  const [images, containers, volumes] = dfSummary({
    images: [
      { repository: 'a', tag: 'latest', id: 'x'.repeat(64), created: '2024-01-01T00:00:00Z', size: 3000, sharedSize: 0, uniqueSize: 3000, containers: 2 },
      { repository: 'b', tag: 'latest', id: 'y'.repeat(64), created: '2024-01-01T00:00:00Z', size: 1000, sharedSize: 0, uniqueSize: 1000, containers: 0 },
    ],
    containers: [
      { id: 'c1', imageId: 'x', command: ['sleep'], localVolumes: 1, rwSize: 10, created: '2024-01-01T00:00:00Z', status: 'running', name: 'r' },
      { id: 'c2', imageId: 'x', command: ['true'], localVolumes: 0, rwSize: 90, created: '2024-01-01T00:00:00Z', status: 'exited', name: 'e' },
    ],
    volumes: [
      { name: 'v1', links: 2, size: 5000, reclaimableSize: 0 },
      { name: 'v2', links: 0, size: 3000, reclaimableSize: 3000 },
    ],
  });
  t.like(images, { Type: 'Images', Total: 2, Active: 1, Size: '4kB', Reclaimable: '1kB (25%)' });
  t.like(containers, { Type: 'Containers', Total: 2, Active: 1, Size: '100B', Reclaimable: '90B (90%)' });
  // podman counts a volume's links as active ones, not the volume once.
  t.like(volumes, { Type: 'Local Volumes', Total: 2, Active: 2, Size: '8kB', Reclaimable: '3kB (38%)' });
});
