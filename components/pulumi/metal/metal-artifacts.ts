import * as pulumi from "@pulumi/pulumi";

import { ARCH_TABLE, parseArch } from "../../arch";
import { ipxeScript, type IpxeArch } from "../../ipxe/ipxe-script";
import type { Image } from "../image/image";
import { MetalArtifactFiles } from "./metal-artifact-files";
import { componentType } from "../dynamic/dynamic";

export interface MetalArtifactsArgs {
  /** An Image built with the `kernel+initrd` format. */
  image: Pick<Image, "name" | "kernel" | "initrd" | "cmdline" | "arch" | "contentHash">;
  /**
   * The URL at which you serve `dir` (e.g. `pulumi-linuxkit serve
   * .linuxkit/metal` behind a public address). Machines fetch the script,
   * kernel and initrd from below it.
   */
  baseUrl: pulumi.Input<string>;
  /**
   * Machine architecture: pick the script shape. Default: the Image's
   * (`amd64` → `x86_64`, console on ttyS1; `arm64` → `aarch64`, LinuxKit's
   * aarch64 script for Arm plans, see `archOfPlan`). A value that
   * contradicts the Image's arch is refused.
   */
  arch?: pulumi.Input<IpxeArch>;
  /** Folder to lay the files out in, relative to the program folder. Default `.linuxkit/metal`. */
  dir?: pulumi.Input<string>;
}

/**
 * An Image's kernel, initrd and LinuxKit's iPXE script, in a folder for you
 * to serve at `baseUrl`. Each image version gets its own subfolder (and so
 * its own `ipxeScriptUrl`): pass that to MetalDevice and a new image is an
 * in-place reboot of the same machine.
 */
export class MetalArtifacts extends pulumi.ComponentResource {
  /** `<dir>/<version>/<name>-kernel`, relative to the program folder. */
  readonly kernelFile: pulumi.Output<string>;
  readonly initrdFile: pulumi.Output<string>;
  readonly scriptFile: pulumi.Output<string>;
  /** The version's folder name (16 hex digits). */
  readonly version: pulumi.Output<string>;
  /** The URL of the script: give it to MetalDevice. */
  readonly ipxeScriptUrl: pulumi.Output<string>;
  /** The script's text. */
  readonly ipxeScript: pulumi.Output<string>;

  constructor(name: string, args: MetalArtifactsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType("linuxkit:metal:MetalArtifacts"), name, {}, opts);
    const image = args.image;
    const files = new MetalArtifactFiles(
      `${name}-files`,
      {
        name: image.name,
        kernel: image.kernel.apply((k) => requireFile(k, "kernel")),
        initrd: image.initrd.apply((i) => requireFile(i, "initrd")),
        cmdline: image.cmdline,
        arch: pulumi.all([args.arch, image.arch]).apply(([given, built]) => {
          const machine = ARCH_TABLE[parseArch(built ?? "amd64")].machine;
          if (given !== undefined && given !== machine) {
            throw new pulumi.ResourceError(
              `MetalArtifacts ${name}: arch ${given} does not match the Image, built for ${built} (${machine}): ` +
                `leave arch unset, or build the Image with arch ${given === "aarch64" ? "arm64" : "amd64"}`,
              this,
            );
          }
          return machine;
        }),
        baseUrl: args.baseUrl,
        dir: args.dir,
        contentHash: image.contentHash,
      },
      { parent: this },
    );
    this.kernelFile = files.kernelFile;
    this.initrdFile = files.initrdFile;
    this.scriptFile = files.scriptFile;
    this.version = files.version;
    this.ipxeScriptUrl = files.ipxeScriptUrl;
    this.ipxeScript = files.ipxeScript;
    this.registerOutputs({
      kernelFile: this.kernelFile,
      initrdFile: this.initrdFile,
      scriptFile: this.scriptFile,
      version: this.version,
      ipxeScriptUrl: this.ipxeScriptUrl,
      ipxeScript: this.ipxeScript,
    });
  }
}

function requireFile(p: string | undefined, what: string): string {
  if (p === undefined) {
    throw new Error(
      `MetalArtifacts needs an Image built with the kernel+initrd format (no ${what})`,
    );
  }
  return p;
}

/**
 * LinuxKit's iPXE script for an Image built with `kernel+initrd`, with the
 * files served directly at `baseUrl` (`<baseUrl>/<name>-kernel`, ...).
 */
export function ipxeScriptOf(
  image: Pick<Image, "name" | "cmdline">,
  baseUrl: pulumi.Input<string>,
  arch: pulumi.Input<IpxeArch> = "x86_64",
): pulumi.Output<string> {
  return pulumi
    .all([image.name, image.cmdline, baseUrl, arch])
    .apply(([name, cmdline, url, a]) => ipxeScript({ name, cmdline, baseUrl: url, arch: a }));
}
