// `skiff container inspect` and `image inspect` name their fields as podman
// 4.3's do (checked against `podman container inspect` / `image inspect`).
import test from 'ava';
import { BUSYBOX_IMAGE } from '../../fixtures/busybox.js';
import { useBusyboxEnv } from '../../helpers/busybox-env.js';
import { uniqueName } from '../../helpers/skiff.js';

const env = useBusyboxEnv();

// podman 4.3's top-level keys of a created container, less those for what
// skiff does not have yet (ConmonPidFile, PidFile).
const PODMAN_CONTAINER_KEYS = ['Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ImageDigest', 'ImageName', 'Rootfs', 'Pod', 'ResolvConfPath',
  'HostnamePath', 'HostsPath', 'StaticDir', 'OCIRuntime', 'Name', 'RestartCount', 'Driver', 'MountLabel', 'ProcessLabel',
  'AppArmorProfile', 'EffectiveCaps', 'BoundingCaps', 'ExecIDs', 'GraphDriver', 'Mounts', 'Dependencies', 'NetworkSettings',
  'Namespace', 'IsInfra', 'IsService', 'Config', 'HostConfig'];
const PODMAN_IMAGE_KEYS = ['Id', 'Digest', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'Config', 'Version', 'Author',
  'Architecture', 'Os', 'Size', 'VirtualSize', 'GraphDriver', 'RootFS', 'Labels', 'Annotations', 'ManifestType', 'User', 'History',
  'NamesHistory'];

test.serial('container inspect has podman\'s keys, the log file under HostConfig.LogConfig.Path', async (t) => {
  const name = uniqueName('keys');
  await env.skiff(['create', '--network', 'none', '--name', name, BUSYBOX_IMAGE, 'true']);
  const doc = (JSON.parse((await env.skiff(['container', 'inspect', name])).stdout) as Array<Record<string, unknown>>)[0];
  for (const key of PODMAN_CONTAINER_KEYS) t.true(key in doc, key);
  const logConfig = (doc.HostConfig as { LogConfig: Record<string, unknown> }).LogConfig;
  t.deepEqual(Object.keys(logConfig), ['Type', 'Config', 'Path', 'Tag', 'Size']);
  t.is(logConfig.Path, doc.LogPath);
  t.is(logConfig.Type, 'k8s-file');
  t.is(doc.Pod, '');
  t.is(doc.IsService, false);
  await env.skiff(['rm', name]);
});

test.serial('image inspect has podman\'s keys', async (t) => {
  const doc = (JSON.parse((await env.skiff(['image', 'inspect', BUSYBOX_IMAGE])).stdout) as Array<Record<string, unknown>>)[0];
  t.deepEqual(Object.keys(doc).filter((k) => PODMAN_IMAGE_KEYS.includes(k)), PODMAN_IMAGE_KEYS);
});
