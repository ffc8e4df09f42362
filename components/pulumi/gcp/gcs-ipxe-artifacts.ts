import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

import type { IpxeArch } from "../../ipxe/ipxe-script";
import type { Image } from "../image/image";
import { describe } from "./gcp-image";
import { componentType } from "../dynamic/dynamic";
import { gcsIpxeLayout } from "./gcs-ipxe-layout";
import { artifactOf, requireFormat } from "./image-artifact";

export interface GcsIpxeArtifactsArgs {
  /** The image to serve. It must be built with the `kernel+initrd` format. */
  image: Pick<Image, "name" | "formats" | "artifacts" | "contentHash" | "cmdline">;
  /** Cloud Storage bucket (name, no `gs://`). Must allow object ACLs (fine-grained access) when `publicRead`. */
  bucket: pulumi.Input<string>;
  /** Folder in the bucket. Default: the top level. */
  prefix?: pulumi.Input<string>;
  /** Architecture the script is written for. Default `x86_64` (serial console ttyS1). */
  arch?: pulumi.Input<IpxeArch>;
  /** Make each object readable by anyone (`allUsers` READER), as iPXE fetches without credentials. Default `true`. */
  publicRead?: boolean;
}

/**
 * The kernel, initrd and iPXE script of a LinuxKit image in a Cloud
 * Storage bucket, for machines that iPXE-boot from a URL (Packet /
 * Equinix Metal's `custom_ipxe`, or any iPXE-capable bare metal). The
 * objects live in a folder named by a hash of the image's content, command
 * line and arch: a new build gets a new script URL, and the old version is
 * deleted only after whatever points at it (a MetalDevice) has moved on.
 */
export class GcsIpxeArtifacts extends pulumi.ComponentResource {
  readonly kernelObject: gcp.storage.BucketObject;
  readonly initrdObject: gcp.storage.BucketObject;
  readonly scriptObject: gcp.storage.BucketObject;
  /** `allUsers` READER grants, one per object (empty without `publicRead`). */
  readonly publicGrants: gcp.storage.ObjectAccessControl[];
  /** URL of the version's folder: the script's `base-url`. */
  readonly baseUrl: pulumi.Output<string>;
  /** URL of the script, for a device's `ipxe_script_url`. */
  readonly ipxeScriptUrl: pulumi.Output<string>;
  /** The script text. */
  readonly ipxeScript: pulumi.Output<string>;

  constructor(
    name: string,
    args: GcsIpxeArtifactsArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super(componentType("linuxkit:gcp:GcsIpxeArtifacts"), name, {}, opts);
    const fail = (e: unknown): never => {
      throw new pulumi.ResourceError(`GcsIpxeArtifacts ${name}: ${describe(e)}`, this);
    };
    const formatsChecked = args.image.formats.apply((formats) => {
      try {
        requireFormat(formats, "kernel+initrd", "GcsIpxeArtifacts");
      } catch (e) {
        fail(e);
      }
      return formats;
    });
    const files = pulumi
      .all([formatsChecked, args.image.artifacts, args.image.name])
      .apply(([, artifacts, base]) => {
        try {
          return {
            kernel: artifactOf(artifacts, "kernel+initrd", `${base}-kernel`),
            initrd: artifactOf(artifacts, "kernel+initrd", `${base}-initrd.img`),
          };
        } catch (e) {
          return fail(e);
        }
      });
    const layout = pulumi
      .all([
        args.bucket,
        args.prefix ?? "",
        args.image.name,
        args.image.contentHash,
        args.image.cmdline,
        args.arch ?? "x86_64",
      ])
      .apply(([bucket, prefix, imageName, contentHash, cmdline, arch]) =>
        gcsIpxeLayout({ bucket, prefix, name: imageName, contentHash, cmdline, arch }),
      );

    const object = (
      suffix: string,
      objectName: pulumi.Output<string>,
      body: Pick<gcp.storage.BucketObjectArgs, "source" | "content">,
      contentType: string,
    ): gcp.storage.BucketObject =>
      new gcp.storage.BucketObject(
        `${name}-${suffix}`,
        { bucket: args.bucket, name: objectName, contentType, ...body },
        { parent: this },
      );
    this.kernelObject = object(
      "kernel",
      layout.kernelObject,
      { source: files.apply((f) => new pulumi.asset.FileAsset(f.kernel.path)) },
      "application/octet-stream",
    );
    this.initrdObject = object(
      "initrd",
      layout.initrdObject,
      { source: files.apply((f) => new pulumi.asset.FileAsset(f.initrd.path)) },
      "application/octet-stream",
    );
    this.scriptObject = object(
      "script",
      layout.scriptObject,
      { content: layout.ipxeScript },
      "text/plain",
    );

    this.publicGrants =
      args.publicRead === false
        ? []
        : (
            [
              ["kernel", this.kernelObject],
              ["initrd", this.initrdObject],
              ["script", this.scriptObject],
            ] as const
          ).map(
            ([suffix, obj]) =>
              new gcp.storage.ObjectAccessControl(
                `${name}-${suffix}-public`,
                { bucket: obj.bucket, object: obj.outputName, entity: "allUsers", role: "READER" },
                { parent: this },
              ),
          );

    this.baseUrl = layout.baseUrl;
    this.ipxeScript = layout.ipxeScript;
    // Known only once the script object (and its public grant) exist.
    this.ipxeScriptUrl = pulumi
      .all([this.scriptObject.outputName, ...this.publicGrants.map((g) => g.id)])
      .apply(() => layout.ipxeScriptUrl);
    this.registerOutputs({
      baseUrl: this.baseUrl,
      ipxeScriptUrl: this.ipxeScriptUrl,
      ipxeScript: this.ipxeScript,
    });
  }
}
