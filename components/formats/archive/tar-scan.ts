/**
 * First pass over the root filesystem tar: reads headers only (bodies are
 * drained unless captured) to learn how many names each hard-linked file
 * has, which the cpio writer needs before it writes the file's first name.
 */
import type { Readable } from "node:stream";
import { LinuxKitError } from "../../errors";
import { readTarEntries, type TarHeader, type TarReadOptions } from "./tar-read";

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
  capture?: (header: TarHeader) => ((body: Readable) => Promise<void>) | undefined;
}

/** Reads every header of `tarPath` once; see {@link TarScan}. */
export async function scanTar(tarPath: string, opts: TarScanOptions = {}): Promise<TarScan> {
  const linkRoot = new Map<string, string>();
  const linkCount = new Map<string, number>();
  for await (const { header, body } of readTarEntries(tarPath, opts)) {
    const consume = opts.capture?.(header);
    if (consume) await consume(body);
    if (header.type !== "link" || opts.skip?.(header.name)) continue;
    if (header.linkname === header.name) {
      throw new LinuxKitError(
        "BUILD",
        `hard link ${JSON.stringify(header.name)} points at itself`,
        {
          file: tarPath,
        },
      );
    }
    const root = linkRoot.get(header.linkname) ?? header.linkname;
    linkRoot.set(header.name, root);
    linkCount.set(root, (linkCount.get(root) ?? 0) + 1);
  }
  return { linkRoot, linkCount };
}
