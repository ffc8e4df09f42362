import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

import { isArch, parseArch, type Arch } from "../../arch";
import { LinuxKitError } from "../../errors/errors";
import { imageArchFields } from "./gcp-arch";
import { componentType } from "../dynamic/dynamic";
import type { Image } from "../image/image";
import { contentName, imageDigest, objectUrl } from "./gcp-names";
import { artifactOf, requireFormat } from "./image-artifact";

/** The license that lets instances of an image run nested virtual machines (VMX). */
export const ENABLE_VMX_LICENSE =
  "https://www.googleapis.com/compute/v1/projects/vm-options/global/licenses/enable-vmx";

/**
 * How long the image import may take. Imports from a Cloud Storage tarball
 * commonly take 5 to 10 minutes and sometimes more than 30; the provider's
 * default would give up first, with the image still importing.
 */
export const DEFAULT_IMPORT_TIMEOUT = "60m";

/** The compute.Image's options: its parent, and create/update timeouts long enough for an import. */
export function importOptions(
  parent: pulumi.Resource,
  importTimeout: string | undefined,
): pulumi.CustomResourceOptions {
  const t = importTimeout ?? DEFAULT_IMPORT_TIMEOUT;
  if (!/^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)$/.test(t)) {
    throw new pulumi.ResourceError(
      `importTimeout must be a duration such as "45m" or "2h", got ${JSON.stringify(t)}`,
      parent,
    );
  }
  return { parent, customTimeouts: { create: t, update: t } };
}

export interface GcpImageArgs {
  /**
   * The LinuxKit image to upload. It must be built with the `gcp` format.
   * (An Image, or anything with its outputs: a reference to one inside the
   * provider plugin.)
   */
  image: Pick<Image, "name" | "formats" | "artifacts" | "arch"> & Partial<Pick<Image, "archArg">>;
  /** Cloud Storage bucket (name, no `gs://`) the `.img.tar.gz` is uploaded to. */
  bucket: pulumi.Input<string>;
  /**
   * Longest wait for GCE to import the image (a Pulumi duration: `45m`,
   * `2h`). Default `60m` (imports commonly take 5-10 minutes, sometimes
   * over 30).
   */
  importTimeout?: string;
  /** Image family, so `family/<name>` always names the newest image. Default: none. */
  family?: pulumi.Input<string>;
  /**
   * Mark the image UEFI_COMPATIBLE. The amd64 `gcp` format is BIOS-only
   * (MBR + SYSLINUX, as LinuxKit makes it), so `true` is refused for it.
   * arm64 images are always UEFI_COMPATIBLE (their disk is GPT + EFI).
   * Default `false`.
   */
  uefi?: boolean;
  /** Add the `enable-vmx` license, for nested virtualization (KVM in the guest). Default `false`. */
  nestedVirtualization?: boolean;
  /** Labels on the compute image. */
  labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Description of the compute image. Default: names the LinuxKit content hash. */
  description?: pulumi.Input<string>;
}

/**
 * A LinuxKit image uploaded to Cloud Storage and registered as a Compute
 * Engine image, as `linuxkit push gcp` does. Both are named from content
 * hashes: an unchanged build changes nothing, a new build makes a new
 * object and a new image (the old ones are deleted once nothing uses
 * them).
 */
export class GcpImage extends pulumi.ComponentResource {
  /** The uploaded `<name>.img.tar.gz`. */
  readonly bucketObject: gcp.storage.BucketObject;
  /** The Compute Engine image. */
  readonly computeImage: gcp.compute.Image;
  /** The image's self link, for instances and templates. */
  readonly imageSelfLink: pulumi.Output<string>;
  /** The image's name (`<name>-<16 hex digits>`). */
  readonly imageName: pulumi.Output<string>;
  /** `https://storage.googleapis.com/<bucket>/<object>` of the upload. */
  readonly objectUrl: pulumi.Output<string>;
  /** The image's architecture (the Image's `arch`): machines must match it. */
  readonly arch: pulumi.Output<Arch>;
  /** The architecture, when the Image's `arch` argument is a plain string (checked at construction). */
  readonly knownArch?: Arch;
  /**
   * Compute Engine's architecture of the image's disks: `ARM64` for arm64,
   * undefined for amd64 (GCE's default, X86_64). The compute Image resource
   * of @pulumi/gcp has no `architecture` input, so GcpMachine and GcpFleet
   * set it on the boot disks they make from the image.
   */
  readonly gcpArchitecture: pulumi.Output<string | undefined>;

  constructor(name: string, args: GcpImageArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType("linuxkit:gcp:GcpImage"), name, {}, opts);
    const nested = args.nestedVirtualization === true;

    const fail = (e: unknown): never => {
      throw new pulumi.ResourceError(`GcpImage ${name}: ${describe(e)}`, this);
    };
    // Known at preview (an input of the Image): the disk's firmware follows it.
    const checkArch = (a: string | undefined): Arch => {
      try {
        const arch = isArch(a) ? a : parseArch(a ?? "amd64");
        if (args.uefi === true && arch === "amd64")
          throw new LinuxKitError(
            "GCP_ARGS",
            "uefi: true is not supported: the amd64 gcp format is a BIOS disk (MBR + SYSLINUX), which UEFI firmware cannot boot",
            {
              field: "uefi",
              hint: "leave uefi unset (GCE boots the image with SeaBIOS), or build for arch arm64 (GPT + EFI)",
            },
          );
        return arch;
      } catch (e) {
        return fail(e);
      }
    };
    // a plain `arch` is checked now (the constructor throws); an Output once known
    if (typeof args.image.archArg === "string") this.knownArch = checkArch(args.image.archArg);
    this.arch = args.image.arch.apply(checkArch);
    // Checked on its own: the formats are known during a preview, the
    // artifacts only after the build, and the check must fail the preview.
    const formatsChecked = args.image.formats.apply((formats) => {
      try {
        requireFormat(formats, "gcp", "GcpImage");
      } catch (e) {
        fail(e);
      }
      return formats;
    });
    const artifact = pulumi.all([formatsChecked, args.image.artifacts]).apply(([, artifacts]) => {
      try {
        return artifactOf(artifacts, "gcp");
      } catch (e) {
        return fail(e);
      }
    });
    const objectName = artifact.apply((a) => `${contentName(name, a.sha256)}.img.tar.gz`);
    this.bucketObject = new gcp.storage.BucketObject(
      `${name}-object`,
      {
        bucket: args.bucket,
        name: objectName,
        source: artifact.apply((a) => new pulumi.asset.FileAsset(a.path)),
        contentType: "application/gzip",
      },
      { parent: this },
    );
    this.objectUrl = pulumi
      .all([this.bucketObject.bucket, this.bucketObject.name])
      .apply(([b, o]) => objectUrl(b, o));

    // amd64: BIOS-only disk, no UEFI_COMPATIBLE (see `uefi`); arm64: ARM64 + UEFI_COMPATIBLE.
    const archFields = this.arch.apply(imageArchFields);
    const guestOsFeatures = archFields.apply((f) => f.guestOsFeatures);
    this.gcpArchitecture = archFields.apply((f) => f.architecture);
    const licenses = nested ? [ENABLE_VMX_LICENSE] : [];
    const description = pulumi
      .all([args.description, args.image.name, artifact])
      .apply(
        ([d, imageBase, a]) => d ?? `LinuxKit image ${imageBase}, gcp artifact sha256 ${a.sha256}`,
      );
    const imageName = pulumi
      .all([artifact, args.family, description, archFields])
      .apply(([a, family, d, f]) =>
        contentName(
          name,
          imageDigest(a.sha256, {
            family,
            description: d,
            guestOsFeatures: f.guestOsFeatures,
            licenses,
            ...(f.architecture === undefined ? {} : { architecture: f.architecture }),
          }),
        ),
      );
    this.computeImage = new gcp.compute.Image(
      `${name}-image`,
      {
        name: imageName,
        family: args.family,
        rawDisk: { source: this.objectUrl },
        guestOsFeatures,
        licenses,
        labels: args.labels,
        description,
      },
      importOptions(this, args.importTimeout),
    );
    this.imageSelfLink = this.computeImage.selfLink;
    this.imageName = this.computeImage.name;
    this.registerOutputs({
      imageSelfLink: this.imageSelfLink,
      imageName: this.imageName,
      objectUrl: this.objectUrl,
      arch: this.arch,
      gcpArchitecture: this.gcpArchitecture,
    });
  }
}

/** A LinuxKitError's message with its hint; any other error's message. */
export function describe(e: unknown): string {
  if (e instanceof LinuxKitError)
    return e.hint === undefined ? e.message : `${e.message} (${e.hint})`;
  return e instanceof Error ? e.message : String(e);
}
