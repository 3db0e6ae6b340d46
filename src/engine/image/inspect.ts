import type { Image } from '../../oci/image-spec.js';
import type { EngineContext } from '../context.js';
import { imageRepoDigests, resolveImage, type ImageSummary } from './images.js';

/** The inspect document of an image (`skiff image inspect`); throws NoSuchImageError. */
export async function inspectImage(ctx: EngineContext, nameOrId: string): Promise<Record<string, unknown>> {
  return imageInspectReport(await resolveImage(ctx, nameOrId), await ctx.storageDriver());
}

/** `skiff image inspect`, with podman's JSON field names; `graphDriver` is the store's storage driver. */
export function imageInspectReport(summary: ImageSummary, graphDriver: string): Record<string, unknown> {
  const { record, config } = summary;
  const repoTags = record.names.filter((n) => !n.includes('@'));
  const doc = {
    Id: record.id,
    Digest: record.manifestDigest,
    RepoTags: repoTags,
    RepoDigests: imageRepoDigests(record),
    Parent: '',
    Comment: config.history?.[config.history.length - 1]?.comment ?? '',
    Created: config.created ?? record.created,
    Config: imageConfigView(config),
    Version: '',
    Author: config.author ?? '',
    Architecture: config.architecture,
    Os: config.os,
    Size: record.size,
    VirtualSize: record.size,
    GraphDriver: { Name: graphDriver, Data: {} },
    RootFS: { Type: config.rootfs.type, Layers: config.rootfs.diff_ids },
    Labels: config.config?.Labels ?? null,
    Annotations: {},
    ManifestType: 'application/vnd.oci.image.manifest.v1+json',
    User: config.config?.User ?? '',
    History: config.history ?? [],
    NamesHistory: [],
  };
  // podman's Go field is ID (its JSON key Id): `{{.ID}}` and `{{.Id}}` both work there.
  return Object.defineProperty(doc, 'ID', { get: () => doc.Id, enumerable: false });
}

function imageConfigView(config: Image): Record<string, unknown> {
  const c = config.config ?? {};
  return { ...c, Env: c.Env ?? [], Cmd: c.Cmd, Entrypoint: c.Entrypoint, WorkingDir: c.WorkingDir ?? '', Labels: c.Labels ?? null };
}
