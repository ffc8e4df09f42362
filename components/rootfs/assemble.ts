import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";

import { LinuxKitError } from "../errors/errors";
import type { RootfsReader } from "../tar/rootfs-entries";
import type { ImageSource, ResolvedImage } from "../sources/image-source";
import type { LinuxKitSpec } from "../config/types";
import type { BundleContext } from "./bundle-config";
import { addContainerLayer, type ContainerSection } from "./container-layer";
import { addFilesLayer, type FilesLayerContext } from "./files-layer";
import { addImageLayer } from "./image-filter";
import { addKernelLayer } from "./kernel-layer";
import { plannedExports, PrefetchingSource } from "./export-prefetch";
import { FIXED_MTIME } from "../tar/tar-header";
import { TarSpool } from "../tar/tar-spool";

/** Init images get a resolv.conf that points somewhere writable at boot, as LinuxKit does. */
export const INIT_RESOLV_CONF = "/run/resolvconf/resolv.conf";

export interface AssembleInput {
  spec: LinuxKitSpec;
  images: ReadonlyMap<string, ResolvedImage>;
  source: ImageSource;
  /** Scratch file for file bodies; it must stay until {@link AssembledRootfs.close}. */
  spoolPath: string;
  bundle: BundleContext;
  files: FilesLayerContext;
  log?: (line: string) => void;
}

/** The assembled root filesystem, held in its spool until closed. */
export interface AssembledRootfs {
  /** Number of paths. */
  entries: number;
  /** The entries in archive order, read from the spool (no tar involved). */
  rootfs: RootfsReader;
  /** Writes the sorted root filesystem tar to `tarPath`. */
  writeTar(tarPath: string): Promise<void>;
  /** Closes the spool's scratch file (the caller removes it). */
  close(): Promise<void>;
}

function imageFor(images: ReadonlyMap<string, ResolvedImage>, ref: string): ResolvedImage {
  const image = images.get(ref);
  if (image === undefined)
    throw new LinuxKitError("BUILD", `image ${ref} was not resolved`, { image: ref });
  return image;
}

/**
 * Assembles the root filesystem in LinuxKit's order — kernel, init images,
 * volumes, onboot, onshutdown and service bundles, files — keeping the
 * last write of each path. Read back, entries come sorted, so equal inputs
 * give equal bytes, whether as entries or as the tar. On success the caller
 * owns the result and must close it; on failure nothing is left open.
 */
export async function assembleRootfs(input: AssembleInput): Promise<AssembledRootfs> {
  const { spec, images } = input;
  const log = input.log ?? (() => undefined);
  const known = (ref: string | undefined): ResolvedImage | undefined =>
    ref === undefined ? undefined : images.get(ref);
  const source = new PrefetchingSource(
    input.source,
    plannedExports([
      known(spec.kernel?.image),
      ...spec.init.map(known),
      ...spec.volumes.map((v) => known(v.image)),
      ...[...spec.onboot, ...spec.onshutdown, ...spec.services].map((e) => known(e.image)),
    ]),
  );
  const spool = await TarSpool.create(input.spoolPath);
  try {
    if (spec.kernel !== undefined) {
      log(`Extract kernel image: ${spec.kernel.image}`);
      const image = imageFor(images, spec.kernel.image);
      await addKernelLayer(spool, await source.exportRootfs(image), spec.kernel);
    }
    if (spec.init.length > 0) log("Add init containers:");
    for (const ref of spec.init) {
      log(`Process init image: ${ref}`);
      const image = imageFor(images, ref);
      await addImageLayer(spool, await source.exportRootfs(image), {
        prefix: "",
        resolvConfSymlink: INIT_RESOLV_CONF,
      });
    }
    if (spec.volumes.length > 0) log("Add volumes:");
    for (const v of spec.volumes) {
      log(`  ${v.name}${v.image ? `: ${v.image}` : ""}`);
      const base = `containers/volumes/${v.name}`;
      const dir = { type: "directory" as const, mode: 0o755, uid: 0, gid: 0, mtime: FIXED_MTIME };
      if (v.image) {
        if (v.format === "oci") {
          throw new LinuxKitError("BUILD", `volume ${v.name}: format "oci" is not supported yet`, {
            field: `volumes (${v.name}).format`,
            hint: "use format: filesystem (the default) to unpack the image into the volume",
          });
        }
        await addImageLayer(spool, await source.exportRootfs(imageFor(images, v.image)), {
          prefix: `${base}/lower`,
        });
      } else {
        await spool.addBuffer({ ...dir, name: `${base}/lower` });
      }
      await spool.addBuffer({ ...dir, name: `${base}/tmp` });
      await spool.addBuffer({ ...dir, name: `${base}/merged` });
    }
    const extracted = new Map<string, string>();
    const titles: Record<ContainerSection, string> = {
      onboot: "Add onboot containers:",
      onshutdown: "Add onshutdown containers:",
      services: "Add service containers:",
    };
    for (const section of ["onboot", "onshutdown", "services"] as const) {
      if (spec[section].length > 0) log(titles[section]);
      for (const [i, entry] of spec[section].entries()) {
        log(`  Create OCI config for ${entry.image}`);
        await addContainerLayer(
          spool,
          source,
          section,
          i,
          entry,
          imageFor(images, entry.image),
          extracted,
          input.bundle,
        );
      }
    }
    if (spec.files.length > 0) {
      log("Add files:");
      for (const f of spec.files) log(`  ${f.path}`);
    }
    await addFilesLayer(spool, spec.files, input.files);
    await source.close();
    return {
      entries: spool.size,
      rootfs: spool.reader(),
      writeTar: (tarPath) => pipeline(spool.writeSorted(), createWriteStream(tarPath)),
      close: () => spool.close(),
    };
  } catch (e) {
    await source.close();
    await spool.close();
    throw e;
  }
}
