import * as pulumi from "@pulumi/pulumi";

import type { IpxeArch } from "../../ipxe/ipxe-script";
import { LinuxKitResource } from "../dynamic/dynamic";
import { mayHoldSecrets, withSecretOutputs } from "../dynamic/secret-outputs";

export interface MetalArtifactFilesArgs {
  /** File prefix: `<name>-kernel`, `<name>-initrd.img`, `<name>-equinixmetal.ipxe`. */
  name: pulumi.Input<string>;
  /** Kernel to serve (an Image's `kernel`), relative to the program folder. */
  kernel: pulumi.Input<string>;
  /** Initrd to serve (an Image's `initrd`). */
  initrd: pulumi.Input<string>;
  /** The image's kernel command line (an Image's `cmdline`). Default empty. */
  cmdline?: pulumi.Input<string>;
  /** Machine architecture. Default `x86_64`. */
  arch?: pulumi.Input<IpxeArch>;
  /** URL at which `dir` is served. */
  baseUrl: pulumi.Input<string>;
  /** Folder to lay the versions out in, relative to the program folder. Default `.linuxkit/metal`. */
  dir?: pulumi.Input<string>;
  /** Content hash of the image (an Image's `contentHash`). Default: hashed from the files. */
  contentHash?: pulumi.Input<string>;
}

/** One version of an image's iPXE-bootable files in a folder to serve (see MetalArtifacts). */
export class MetalArtifactFiles extends LinuxKitResource {
  declare readonly version: pulumi.Output<string>;
  declare readonly kernelFile: pulumi.Output<string>;
  declare readonly initrdFile: pulumi.Output<string>;
  declare readonly scriptFile: pulumi.Output<string>;
  declare readonly versionUrl: pulumi.Output<string>;
  declare readonly ipxeScriptUrl: pulumi.Output<string>;
  declare readonly ipxeScript: pulumi.Output<string>;

  constructor(name: string, args: MetalArtifactFilesArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "metalArtifacts",
      "MetalArtifactFiles",
      name,
      {
        name: args.name,
        kernel: args.kernel,
        initrd: args.initrd,
        cmdline: args.cmdline ?? "",
        arch: args.arch ?? "x86_64",
        baseUrl: args.baseUrl,
        dir: args.dir ?? ".linuxkit/metal",
        contentHash: args.contentHash,
        version: undefined,
        kernelFile: undefined,
        initrdFile: undefined,
        scriptFile: undefined,
        versionUrl: undefined,
        ipxeScriptUrl: undefined,
        ipxeScript: undefined,
      },
      // The script holds the command line: secret whenever the command line may be.
      withSecretOutputs(opts, ["cmdline", "ipxeScript"], mayHoldSecrets(args.cmdline)),
    );
  }
}
