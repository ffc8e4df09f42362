import type { ImageSource, ResolvedImage } from "../sources/image-source";
import type { ImageEntrySpec } from "../config/types";
import { addImageLayer } from "./image-filter";
import { bundleFiles, type BundleContext } from "./bundle-config";
import { FIXED_MTIME } from "../tar/tar-header";
import type { TarSpool } from "../tar/tar-spool";

export type ContainerSection = "onboot" | "onshutdown" | "services";

/** The bundle directory of an entry: onboot/onshutdown are numbered to keep their order. */
export function bundlePrefix(section: ContainerSection, index: number, name: string): string {
  return section === "services"
    ? `containers/services/${name}`
    : `containers/${section}/${String(index).padStart(3, "0")}-${name}`;
}

/**
 * Adds one container as an OCI bundle: the image filesystem (in `rootfs/`
 * when read-only, else in `lower/` with empty `tmp/` and `rootfs/` for the
 * overlay init mounts at boot), `config.json` and `runtime.json`.
 *
 * An image already unpacked for an earlier container is not unpacked again:
 * the bundle points at the first copy (`extracted` maps image id → where).
 */
export async function addContainerLayer(
  spool: TarSpool,
  source: ImageSource,
  section: ContainerSection,
  index: number,
  entry: ImageEntrySpec,
  image: ResolvedImage,
  extracted: Map<string, string>,
  ctx: BundleContext,
): Promise<void> {
  const prefix = bundlePrefix(section, index, entry.name);
  const field = `${section}[${index}]`;
  const { config, readonly, runtimeFor } = bundleFiles(entry, image, field, ctx);
  const dir = { type: "directory" as const, mode: 0o755, uid: 0, gid: 0, mtime: FIXED_MTIME };
  let root = extracted.get(image.id);
  if (root === undefined) {
    root = `${prefix}/${readonly ? "rootfs" : "lower"}`;
    await addImageLayer(spool, await source.exportRootfs(image), { prefix: root });
    extracted.set(image.id, root);
  } else {
    await spool.addBuffer({ ...dir, name: prefix });
  }
  if (!readonly) await spool.addBuffer({ ...dir, name: `${prefix}/tmp` });
  if (!spool.has(`${prefix}/rootfs`)) await spool.addBuffer({ ...dir, name: `${prefix}/rootfs` });
  const file = { type: "file" as const, mode: 0o644, uid: 0, gid: 0, mtime: FIXED_MTIME };
  await spool.addBuffer({ ...file, name: `${prefix}/config.json` }, Buffer.from(config));
  await spool.addBuffer(
    { ...file, name: `${prefix}/runtime.json` },
    Buffer.from(runtimeFor(prefix, root)),
  );
}
