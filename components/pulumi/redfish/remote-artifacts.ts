import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

import type { Image } from "../image/image";
import { remoteLayout } from "./remote-layout";
import { componentType } from "../dynamic/dynamic";

export interface RemoteArtifactsArgs {
  /** The image whose artifacts (its whole build folder) are copied. */
  image: Pick<Image, "contentHash" | "artifacts" | "artifactDir">;
  /** SSH connection to the host that serves them (`host`, `user`, `privateKey` as a secret, ...). */
  connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
  /** Folder on the host, under a web server's root; each build goes in `<remoteDir>/<hash>/`. */
  remoteDir: pulumi.Input<string>;
  /** URL at which the web server serves `remoteDir`, e.g. `http://images.lan/linuxkit`. */
  baseUrl: pulumi.Input<string>;
}

/**
 * An Image's artifacts copied to a host of the user's over SSH
 * (`@pulumi/command`'s `remote.CopyToRemote`, an optional peer dependency:
 * only programs that use this need it and its plugin), in a folder named
 * by the image's content hash, and their URLs for a BMC to fetch
 * (`isoUrl` for a RedfishMachine). The copy runs again only when the
 * content hash changes.
 */
export class RemoteArtifacts extends pulumi.ComponentResource {
  readonly copy: command.remote.CopyToRemote;
  /** URL of this build's folder. */
  readonly baseUrl: pulumi.Output<string>;
  /** URL of each artifact, by file name. */
  readonly urls: pulumi.Output<Record<string, string>>;
  /** URL of the first artifact of each format, by format (`iso-bios`, `iso-efi`, ...). */
  readonly urlsByFormat: pulumi.Output<Record<string, string>>;
  /** URL of the ISO to boot by virtual media: the iso-bios, else the iso-efi artifact. */
  readonly isoUrl: pulumi.Output<string | undefined>;

  constructor(name: string, args: RemoteArtifactsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType("linuxkit:redfish:RemoteArtifacts"), name, {}, opts);
    const layout = pulumi
      .all([args.remoteDir, args.baseUrl, args.image.contentHash, args.image.artifacts])
      .apply(([dir, url, hash, artifacts]) => remoteLayout(dir, url, hash, artifacts));
    this.copy = new command.remote.CopyToRemote(
      `${name}-copy`,
      {
        connection: args.connection,
        source: args.image.artifactDir.apply((dir) => new pulumi.asset.FileArchive(dir)),
        remotePath: layout.remotePath,
        triggers: [args.image.contentHash],
      },
      { parent: this },
    );
    // URLs are only handed out once the copy is done.
    const copied = pulumi.all([layout, this.copy.id]).apply(([l]) => l);
    this.baseUrl = copied.baseUrl;
    this.urls = copied.files;
    this.urlsByFormat = copied.byFormat;
    this.isoUrl = copied.byFormat.apply((b) => b["iso-bios"] ?? b["iso-efi"]);
    this.registerOutputs({
      baseUrl: this.baseUrl,
      urls: this.urls,
      urlsByFormat: this.urlsByFormat,
      isoUrl: this.isoUrl,
    });
  }
}
