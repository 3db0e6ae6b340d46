import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic, pathExists } from '../util/fs.js';
import { withLock } from '../util/lock.js';
import type { StoreLayout } from './layout.js';
import { LAYER_STAGING_KIND, tempName } from './temp.js';

/** One extracted layer: layers/<id>/diff holds its files. */
export interface LayerRecord {
  /** The chain id hex: the diff id for a bottom layer. */
  id: string;
  parent?: string;
  diffId: string;
  /** Uncompressed size in bytes. */
  size: number;
  created: string;
}

/**
 * The layer store. A layer is extracted into a temp directory and renamed into
 * place only when complete, so an interrupted extraction leaves no layer.
 */
export class LayerStore {
  constructor(private readonly layout: StoreLayout) {}

  async get(id: string): Promise<LayerRecord | undefined> {
    return readJsonIfExists<LayerRecord>(this.layout.layerRecord(id));
  }

  /**
   * Creates layer `id` by running `fill` on an empty directory, unless the
   * layer exists already. Holds the layers lock only around the rename so
   * parallel extractions of different layers do not wait for each other.
   */
  async create(id: string, fill: (dir: string) => Promise<{ diffId: string; size: number; parent?: string }>): Promise<LayerRecord> {
    const existing = await this.get(id);
    if (existing) return existing;
    return this.createStaged(async (dir) => ({ id, ...(await fill(dir)) }));
  }

  /**
   * Like create, for a layer named by its own content (a bottom layer's id
   * is its diff id): `fill` extracts and returns the id, so the content is
   * read once. When a layer with that id exists already, it wins and the
   * staged copy is dropped.
   */
  async createStaged(fill: (dir: string) => Promise<{ id: string; diffId: string; size: number; parent?: string }>): Promise<LayerRecord> {
    await fsp.mkdir(this.layout.layersDir, { recursive: true });
    const staging = join(this.layout.layersDir, tempName(LAYER_STAGING_KIND));
    await fsp.mkdir(join(staging, 'diff'), { recursive: true });
    try {
      const result = await fill(join(staging, 'diff'));
      const id = result.id;
      const record: LayerRecord = { id, parent: result.parent, diffId: result.diffId, size: result.size, created: new Date().toISOString() };
      await writeJsonAtomic(join(staging, 'layer.json'), record);
      return await withLock(this.layout.layersLock, async () => {
        if (await pathExists(this.layout.layerDir(id))) {
          await fsp.rm(staging, { recursive: true, force: true });
          return (await this.get(id))!;
        }
        await fsp.rename(staging, this.layout.layerDir(id));
        return record;
      });
    } catch (err) {
      await fsp.rm(staging, { recursive: true, force: true });
      throw err;
    }
  }
}
