import type { ImageSource, ResolvedImage } from "../sources/image-source";
import { LinuxKitError } from "../errors/errors";
import type { VolumeSpec } from "../config/types";
import { addImageLayer, RESOLV_CONF_SYMLINK } from "./image-filter";
import { FIXED_MTIME } from "../tar/tar-header";
import type { TarSpool } from "../tar/tar-spool";

/** Where a volume lives in the root filesystem. */
export function volumeDir(name: string): string {
  return `containers/volumes/${name}`;
}

/**
 * Adds one `volumes:` entry: `lower/` (the volume image's filesystem, or
 * empty for a blank volume), and the empty `tmp/` and `merged/` the init
 * mounts the overlay with at boot. A volume image gets the rules of an
 * init image (moby/build/build.go passes it the same resolv.conf symlink),
 * so its `etc/resolv.conf` becomes a symlink to {@link RESOLV_CONF_SYMLINK}.
 *
 * @param image the resolved volume image; undefined for a blank volume.
 * @throws LinuxKitError `BUILD` for `format: oci`, which is not supported yet.
 */
export async function addVolumeLayer(
  spool: TarSpool,
  source: ImageSource,
  volume: VolumeSpec,
  image: ResolvedImage | undefined,
): Promise<void> {
  const base = volumeDir(volume.name);
  const dir = { type: "directory" as const, mode: 0o755, uid: 0, gid: 0, mtime: FIXED_MTIME };
  if (image !== undefined) {
    if (volume.format === "oci") {
      throw new LinuxKitError("BUILD", `volume ${volume.name}: format "oci" is not supported yet`, {
        field: `volumes (${volume.name}).format`,
        hint: "use format: filesystem (the default) to unpack the image into the volume",
      });
    }
    await addImageLayer(spool, await source.exportRootfs(image), {
      prefix: `${base}/lower`,
      resolvConfSymlink: RESOLV_CONF_SYMLINK,
    });
  } else {
    await spool.addBuffer({ ...dir, name: `${base}/lower` });
  }
  await spool.addBuffer({ ...dir, name: `${base}/tmp` });
  await spool.addBuffer({ ...dir, name: `${base}/merged` });
}
