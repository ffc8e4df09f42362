import * as pulumi from "@pulumi/pulumi";

import { LinuxKitResource, pluginTokensInUse } from "../dynamic/dynamic";
import { mayHoldSecrets, withSecretOutputs } from "../dynamic/secret-outputs";

import { DEFAULT_OUTPUT_DIR } from "./image-defaults";

import type { ImageArtifact } from "./image-provider";

export interface ImageArgs {
  /** LinuxKit YAML text. Set exactly one of `configYaml`, `configFiles`, `config`. */
  configYaml?: pulumi.Input<string>;
  /** LinuxKit YAML files, merged in order as `linuxkit build a.yml b.yml` does. Relative to the program folder. */
  configFiles?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * A LinuxKit configuration as an object (same fields as the YAML). Values
   * may be secrets (`pulumi.secret(...)`, e.g. `files[].contents`): they are
   * kept encrypted in state and never shown in diffs or logs.
   */
  config?: pulumi.Input<Record<string, unknown>>;
  /**
   * Output formats, LinuxKit's names. Default: those of the configuration's
   * `outputs:` section (moby-era YAML) if it has one, else `["kernel+initrd"]`.
   */
  formats?: pulumi.Input<pulumi.Input<string>[]>;
  /** Base name of the artifacts (`<name>-kernel`, ...). Default: the resource name. */
  name?: pulumi.Input<string>;
  /**
   * Folder for artifacts; each content version gets its own subfolder named
   * by its content hash. Default `.linuxkit/images`. A relative folder is
   * relative to the program folder, and so are the artifact paths the
   * Image reports: state written from one checkout works from another.
   */
  outputDir?: pulumi.Input<string>;
  /**
   * Target architecture: `amd64` (default) or `arm64` (`aarch64`). Every
   * image must be for it (check/preview says which is not); formats are
   * those that boot it (BIOS formats are refused for arm64).
   */
  arch?: pulumi.Input<string>;
  /** Disk size in MiB for disk formats. */
  diskSizeMiB?: pulumi.Input<number>;
  /**
   * gzip level of the initrd (and of the gcp format's tar.gz), 0 to 9.
   * Default 1, the fastest; 6 or 9 for smaller files. A change replaces
   * the image.
   */
  gzipLevel?: pulumi.Input<number>;
  /**
   * Where images come from: `"docker"` (the Docker engine DOCKER_HOST
   * names), `"registry"` (straight from their registries into an OCI cache,
   * no engine; a tag moved upstream shows in `pulumi preview`), or
   * `"auto"` (default: the engine when one answers, else the registries).
   * Changing it alone changes nothing: the same images build the same bytes.
   */
  source?: pulumi.Input<"docker" | "registry" | "auto">;
  /**
   * A registry repository of finished builds (`ghcr.io/acme/lk-builds`):
   * before building, a build of the same content there is pulled instead;
   * after a build, the artifacts are pushed there (credentials as for
   * images). Not part of the content.
   */
  cacheRepo?: pulumi.Input<string>;
}

/**
 * A LinuxKit image built from YAML with images from the local Docker
 * engine. `pulumi up` builds it; it is rebuilt (and replaced) only when
 * its content changes: the configuration, an image behind a tag, or a
 * `files[].source` file.
 */
export class Image extends LinuxKitResource {
  /** Content key of the build. Equal keys mean byte-identical artifacts. */
  declare readonly contentHash: pulumi.Output<string>;
  /** sha256 of the canonical resolved configuration. */
  declare readonly specHash: pulumi.Output<string>;
  /** Folder holding this version's artifacts. */
  declare readonly artifactDir: pulumi.Output<string>;
  /** Every artifact with its path, sha256 and size. */
  declare readonly artifacts: pulumi.Output<ImageArtifact[]>;
  /** Image reference → content id used in the build. */
  declare readonly images: pulumi.Output<Record<string, string>>;
  /**
   * Kernel command line from the configuration. A secret (encrypted in
   * state, `[secret]` in output) whenever the configuration is given with
   * Output values (`pulumi.secret(...)`), since any of them may be secret.
   */
  declare readonly cmdline: pulumi.Output<string>;
  /** Path of `<name>-kernel` (kernel+initrd format). */
  declare readonly kernel: pulumi.Output<string | undefined>;
  /** Path of `<name>-initrd.img` (kernel+initrd format). */
  declare readonly initrd: pulumi.Output<string | undefined>;
  declare readonly name: pulumi.Output<string>;
  declare readonly formats: pulumi.Output<string[]>;
  /** The architecture built for (`amd64`, `arm64`). */
  declare readonly arch: pulumi.Output<string>;
  /**
   * The `arch` argument as given: when it is a plain string, resources
   * that depend on the architecture check it at once, in their constructor.
   */
  readonly archArg: pulumi.Input<string>;
  /** The gzip level the build used. */
  declare readonly gzipLevel: pulumi.Output<number>;

  constructor(name: string, args: ImageArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "image",
      "Image",
      name,
      {
        configYaml: args.configYaml,
        configFiles: args.configFiles,
        config: args.config,
        formats: args.formats,
        name: args.name ?? name,
        // Kept as written (relative to the program folder by default), so
        // state does not depend on where the project is checked out.
        outputDir: args.outputDir ?? DEFAULT_OUTPUT_DIR,
        arch: args.arch ?? "amd64",
        diskSizeMiB: args.diskSizeMiB,
        gzipLevel: args.gzipLevel,
        source: args.source,
        cacheRepo: args.cacheRepo,
        // how the dynamic provider tells a preview from an up; the plugin's
        // schema has no such input (it is not the user's), so it is left out there
        ...(pluginTokensInUse() ? {} : { dryRun: pulumi.runtime.isDryRun() }),
        contentHash: undefined,
        specHash: undefined,
        artifactDir: undefined,
        artifacts: undefined,
        images: undefined,
        cmdline: undefined,
        kernel: undefined,
        initrd: undefined,
      },
      // The command line comes from the configuration: secret when any of it may be.
      withSecretOutputs(opts, ["cmdline"], mayHoldSecrets([args.config, args.configYaml])),
    );
    this.archArg = args.arch ?? "amd64";
  }
}
