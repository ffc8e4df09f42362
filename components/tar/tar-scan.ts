/**
 * First pass over the root filesystem tar: reads headers only (bodies are
 * drained unless captured) to learn how many names each hard-linked file
 * has, which the cpio writer needs before it writes the file's first name.
 */
import { LinuxKitError } from "../errors/errors";
import { rootfsReader, type RootfsReader } from "./rootfs-entries";
import type { TarHeader } from "./tar-header";
import type { TarReadOptions } from "./tar-read";

/** What the first pass learned. */
export interface TarScan {
  /** Hard-link entry name → the name it ultimately links to (chains resolved). */
  linkRoot: Map<string, string>;
  /** Link target name → number of hard-link entries pointing at it (not counting itself). */
  linkCount: Map<string, number>;
}

/** Options for {@link scanTar}. */
export interface TarScanOptions extends TarReadOptions {
  /** Entries to leave out of the archive (normalised names). Skipped links are not counted. */
  skip?: (name: string) => boolean;
  /**
   * Called for every entry; return a consumer to read that entry's body
   * (e.g. to pull `boot/kernel` out while scanning). The scan waits for it.
   */
  capture?: (header: TarHeader) => ((body: AsyncIterable<Buffer>) => Promise<void>) | undefined;
}

/**
 * Reads every header of the root filesystem once (a tar file path, or a
 * {@link RootfsReader}); see {@link TarScan}.
 */
export async function scanTar(
  source: string | RootfsReader,
  opts: TarScanOptions = {},
): Promise<TarScan> {
  const rootfs = rootfsReader(source);
  const linkRoot = new Map<string, string>();
  const linkCount = new Map<string, number>();
  for await (const { header, body } of rootfs.entries(opts)) {
    const consume = opts.capture?.(header);
    if (consume) await consume(body ?? emptyBody());
    if (header.type !== "link" || opts.skip?.(header.name)) continue;
    if (header.linkname === header.name) {
      throw new LinuxKitError(
        "BUILD",
        `hard link ${JSON.stringify(header.name)} points at itself`,
        { file: rootfs.file },
      );
    }
    const root = linkRoot.get(header.linkname) ?? header.linkname;
    linkRoot.set(header.name, root);
    linkCount.set(root, (linkCount.get(root) ?? 0) + 1);
  }
  return { linkRoot, linkCount };
}

async function* emptyBody(): AsyncGenerator<Buffer> {
  // a header without bytes
}
