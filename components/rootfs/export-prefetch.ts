/**
 * Image exports fetched ahead of their turn. Reading an image's root
 * filesystem from the engine is mostly waiting for it (`docker save`, in
 * the engine's process) and for the disk; the assembly of the previous
 * image is CPU in ours. Asking for the next images while the current one
 * is assembled overlaps the two. The trees are still consumed strictly in
 * LinuxKit's order, one at a time, so the result is the same.
 */
import type { Readable } from "node:stream";

import type { ImageSource, ResolveOptions, ResolvedImage } from "../sources/image-source";

/** How many exports run ahead of the one being assembled. */
export const DEFAULT_EXPORTS_AHEAD = 2;

export class PrefetchingSource implements ImageSource {
  private readonly started = new Map<string, Promise<Readable>>();
  private next = 0;
  private closed = false;

  /**
   * @param inner where exports come from.
   * @param planned the images in the order the assembly will ask for them
   *   (an image asked for again later is exported again, unprefetched).
   * @param ahead how many to have under way beyond the current one.
   */
  constructor(
    private readonly inner: ImageSource,
    private readonly planned: readonly ResolvedImage[],
    private readonly ahead: number = DEFAULT_EXPORTS_AHEAD,
  ) {}

  resolve(ref: string, options?: ResolveOptions): Promise<ResolvedImage> {
    return this.inner.resolve(ref, options);
  }

  async exportRootfs(image: ResolvedImage): Promise<Readable> {
    const early = this.started.get(image.id);
    this.started.delete(image.id);
    const tree = early ?? this.inner.exportRootfs(image);
    // Count this one as begun even when it was not planned first.
    const at = this.planned.findIndex((p, i) => i >= this.next && p.id === image.id);
    if (at >= 0) this.next = Math.max(this.next, at + 1);
    this.topUp();
    return tree;
  }

  /** Starts planned exports until `ahead` are under way. */
  private topUp(): void {
    while (!this.closed && this.started.size < this.ahead && this.next < this.planned.length) {
      const image = this.planned[this.next++]!;
      if (this.started.has(image.id)) continue;
      const tree = this.inner.exportRootfs(image);
      tree.catch(() => undefined); // reported when taken; dropped by close() otherwise
      this.started.set(image.id, tree);
    }
  }

  /** Stops prefetching and discards every export not taken (their scratch files go with them). */
  async close(): Promise<void> {
    this.closed = true;
    const left = [...this.started.values()];
    this.started.clear();
    await Promise.all(
      left.map(async (p) => {
        const tree = await p.catch(() => undefined);
        if (tree === undefined) return;
        await new Promise<void>((resolve) => {
          if (tree.destroyed) return resolve();
          tree.once("close", () => resolve());
          tree.destroy();
        });
      }),
    );
  }
}

/**
 * The images to prefetch, given every image an assembly uses in its order
 * (the kernel, init images, volume images, then each container's image;
 * undefined where a section names none): each id once, at its first use.
 */
export function plannedExports(order: readonly (ResolvedImage | undefined)[]): ResolvedImage[] {
  const seen = new Set<string>();
  const out: ResolvedImage[] = [];
  for (const image of order) {
    if (image === undefined || seen.has(image.id)) continue;
    seen.add(image.id);
    out.push(image);
  }
  return out;
}
