import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../util/fs.js';
import { withLock } from '../util/lock.js';
import type { StoreLayout } from './layout.js';

/** One image in the local store. The id is the hex digest of its config blob. */
export interface ImageRecord {
  id: string;
  /** Fully qualified names, e.g. localhost/bb:latest. */
  names: string[];
  /** Digest of the manifest as stored (sha256:...). */
  manifestDigest: string;
  configDigest: string;
  /** Layer ids in the layer store, bottom first. */
  layers: string[];
  /** Sum of the uncompressed layer sizes. */
  size: number;
  created: string;
  /** An image `build` wrote for one step: the image it was built on ('' for scratch) and the step's cache key. */
  buildCache?: { parent: string; key: string };
}

interface ImagesIndex {
  images: ImageRecord[];
}

/** The image index: images/images.json, guarded by images/images.lock. */
export class ImageStore {
  constructor(private readonly layout: StoreLayout) {}

  async list(): Promise<ImageRecord[]> {
    const index = await readJsonIfExists<ImagesIndex>(this.layout.imagesIndex);
    return index?.images ?? [];
  }

  /**
   * Adds an image or merges names into an existing one with the same id. The
   * names are taken away from any other image (a name points at one image).
   */
  async add(record: ImageRecord): Promise<ImageRecord> {
    return this.update((images) => {
      for (const other of images) {
        if (other.id !== record.id) other.names = other.names.filter((n) => !record.names.includes(n));
      }
      const existing = images.find((i) => i.id === record.id);
      if (existing) {
        existing.names = [...new Set([...existing.names, ...record.names])];
        return existing;
      }
      images.push(record);
      return record;
    });
  }

  /** Replaces an image's names; a name given here is taken from any other image. */
  async setNames(id: string, names: string[]): Promise<void> {
    await this.update((images) => {
      for (const image of images) {
        image.names = image.id === id ? [...new Set(names)] : image.names.filter((n) => !names.includes(n));
      }
    });
  }

  async remove(id: string): Promise<void> {
    await this.update((images) => {
      const at = images.findIndex((i) => i.id === id);
      if (at >= 0) images.splice(at, 1);
    });
  }

  private async update<T>(fn: (images: ImageRecord[]) => T): Promise<T> {
    await fsp.mkdir(dirname(this.layout.imagesIndex), { recursive: true });
    return withLock(this.layout.imagesLock, async () => {
      const index = (await readJsonIfExists<ImagesIndex>(this.layout.imagesIndex)) ?? { images: [] };
      const result = fn(index.images);
      await writeJsonAtomic(this.layout.imagesIndex, index);
      return result;
    });
  }
}
