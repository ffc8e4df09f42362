/**
 * The object types of the provider's schema: port forwards, readiness and
 * health checks, artifacts, fleet slots. Each is held by the compiler to
 * the TypeScript type it mirrors (every key, no extra key).
 */
import type { FleetForward } from "../../fleet/adapters/qemu-adapter";
import type { PortForward } from "../../qemu/qemu-args";
import type { Readiness } from "../../qemu/readiness";
import type { ImageArtifact } from "../image/image-provider";
import type { FleetHealth } from "../fleet/qemu-fleet-inputs";
import type { FleetMachineSummary } from "../fleet/qemu-fleet-provider";
import type { MetalFleetHealth } from "../../fleet/adapters/metal-fleet-adapter";
import type { MetalFleetMachineSummary } from "../metal/metal-fleet-provider";
import type { ImageArgs } from "../image/image";
import type { ImageInputs } from "../image/image-inputs";
import type { GcpFleetHealth } from "../gcp/gcp-fleet";
import type { MachineReadiness } from "../../redfish";
import type { RedfishFleetMember } from "../../fleet/adapters/redfish-fleet-adapter";
import type { RedfishFleetMachineSummary } from "../redfish/redfish-fleet-provider";
import type * as command from "@pulumi/command";
import {
  any,
  int,
  listOf,
  num,
  ref,
  secret,
  str,
  STRING,
  INTEGER,
  required,
  type ObjectTypeSpec,
  type Property,
} from "./schema-dsl";

/** Inputs of an Image, shared by `linuxkit:index:Image` and LocalMachine's `image`. */
export const IMAGE_INPUTS = {
  configYaml: str(
    "LinuxKit YAML text. Set exactly one of `configYaml`, `configFiles`, `config`. `files[].source` paths in it are relative to the program folder.",
  ),
  configFiles: listOf(
    STRING,
    "LinuxKit YAML files, merged in order as `linuxkit build a.yml b.yml` does. Relative to the program folder.",
  ),
  config: any(
    "A LinuxKit configuration as an object (same fields as the YAML). Values may be secrets (e.g. `files[].contents`): they stay encrypted in state and never show in diffs or logs.",
  ),
  formats: listOf(
    STRING,
    "Output formats, LinuxKit's names (`kernel+initrd`, `iso-bios`, `raw-efi`, `gcp`, ...). Default: the configuration's `outputs:` section if it has one, else `[\"kernel+initrd\"]`. A change replaces the image.",
  ),
  name: str(
    "Base name of the artifacts (`<name>-kernel`, ...). Default: the resource name. A change replaces the image.",
  ),
  outputDir: str(
    "Folder for artifacts; each content version gets its own subfolder named by its content hash. Default `.linuxkit/images`, relative to the program folder. A change replaces the image.",
  ),
  arch: str("Target architecture. Default and only value for now: `amd64`."),
  diskSizeMiB: int("Disk size in MiB for disk formats. A change replaces the image."),
  source: str(
    "Where images come from: `docker` (the engine DOCKER_HOST names), `registry` (straight from their registries into an OCI cache, no engine), or `auto` (default: the engine when one answers, else the registries). Changing it alone changes nothing.",
  ),
  cacheRepo: str(
    "A registry repository of finished builds: a build of the same content there is pulled instead of built, and new builds are pushed there. Not part of the content.",
  ),
  gzipLevel: int(
    "gzip level of the initrd (and of the gcp format's tar.gz), 0 to 9. Default 1, the fastest; 6 or 9 give smaller files. A change replaces the image.",
  ),
} satisfies Record<Exclude<keyof ImageInputs, "dryRun">, Property>;

/** The TypeScript API's Image arguments have the provider's input names, no more, no fewer. */
type SameKeys<A, B> = [keyof A] extends [keyof B]
  ? [keyof B] extends [keyof A]
    ? true
    : false
  : false;
// `dryRun` is the TypeScript class's own (from pulumi.runtime.isDryRun()), not an argument.
const imageArgsMatch: SameKeys<ImageArgs, Omit<ImageInputs, "dryRun">> = true;
void imageArgsMatch;

/** A Redfish machine's readiness, as the machine and fleet resources take it. */
const REDFISH_READINESS = {
  host: str("Address (host name or IP) of the machine for `tcpPort` / `httpPath`."),
  tcpPort: int("A TCP port on `host` that must accept a connection."),
  httpPath: str("An HTTP path that must answer 2xx on `host`:`tcpPort` (default 80)."),
  consolePattern: str(
    "A regular expression the console log must show (after the boot started). Needs `consoleLog`.",
  ),
  consoleLog: str("The console log file on this host for `consolePattern`."),
  timeoutSeconds: num("Give up after this many seconds. Default 600."),
} satisfies Record<keyof MachineReadiness, Property>;

type SshConnection = Pick<
  command.types.input.remote.ConnectionArgs,
  "host" | "port" | "user" | "password" | "privateKey" | "privateKeyPassword" | "agentSocketPath"
>;

/** The SSH connection of RemoteArtifacts: a subset of @pulumi/command's, secrets kept secret. */
const SSH_CONNECTION = {
  host: required(str("Address of the host.")),
  port: num("SSH port. Default 22."),
  user: str("User to log in as. Default `root`."),
  password: secret(str("Password, if the host takes one.")),
  privateKey: secret(str("Private key (PEM / OpenSSH text) to log in with.")),
  privateKeyPassword: secret(str("Passphrase of `privateKey`, if it has one.")),
  agentSocketPath: str("SSH agent socket to authenticate with."),
} satisfies Record<keyof SshConnection, Property>;

export const TYPES: Record<string, ObjectTypeSpec> = {
  "linuxkit:index:ImageArtifact": {
    description: "One file an Image build wrote.",
    properties: {
      format: required(
        str("The LinuxKit format that wrote it (`kernel+initrd`, `iso-bios`, ...)."),
      ),
      path: required(str("Its path, relative to the program folder when `outputDir` is.")),
      sha256: required(str("sha256 of its bytes, hex.")),
      size: required(int("Its size in bytes.")),
    } satisfies Record<keyof ImageArtifact, Property>,
  },
  "linuxkit:index:ImageSettings": {
    description: "How to build an Image (the inputs of `linuxkit:index:Image`).",
    properties: IMAGE_INPUTS,
  },
  "linuxkit:qemu:PortForward": {
    description: "A port forwarded from 127.0.0.1 on the host into the guest.",
    properties: {
      hostPort: required(int("Port on 127.0.0.1 of the host.")),
      guestPort: required(int("Port in the guest.")),
      protocol: str("`tcp` (default) or `udp`."),
    } satisfies Record<keyof PortForward, Property>,
  },
  "linuxkit:qemu:Readiness": {
    description:
      "When a VM counts as up: a console pattern and/or a guest TCP port or HTTP path. With none set, as soon as qemu runs.",
    properties: {
      consolePattern: str("A regular expression the serial console must show."),
      tcpPort: int(
        "A guest port (forwarded from 127.0.0.1) that must accept and keep a connection.",
      ),
      httpPath: str(
        "An HTTP path (e.g. `/`) that must answer a GET with a 2xx status, on `tcpPort` (default 80) through its forward.",
      ),
      timeoutSeconds: num("Give up after this many seconds. Default 120."),
    } satisfies Record<keyof Readiness, Property>,
  },
  "linuxkit:qemu:FleetForward": {
    description:
      "A guest port of every fleet machine reached from 127.0.0.1: slot `i` on `hostPortBase + i`, a surge machine `j` on `hostPortBase + size + j`.",
    properties: {
      hostPortBase: required(int("First host port of the range.")),
      guestPort: required(int("Port in the guest.")),
    } satisfies Record<keyof FleetForward, Property>,
  },
  "linuxkit:qemu:FleetHealth": {
    description: "When a new fleet machine counts as healthy; a rollout goes on only when it is.",
    properties: {
      tcpPort: int(
        "A guest port that must accept and keep a connection (one of `forwards`' guest ports).",
      ),
      httpPath: str(
        "An HTTP path that must answer 2xx, on `tcpPort` (default: the first forward's guest port).",
      ),
      consolePattern: str("A regular expression the serial console must show."),
      timeoutSeconds: num("Seconds a new machine gets to become healthy. Default 120."),
    } satisfies Record<keyof FleetHealth, Property>,
  },
  "linuxkit:qemu:FleetMachine": {
    description: "One slot of a qemu fleet.",
    properties: {
      slot: required(int("Slot number, from 0.")),
      imageHash: str(
        "Content hash of the image the slot's machine boots; null when the slot is empty.",
      ),
      pid: int("The machine's qemu process id."),
      ports: required(listOf(INTEGER, "Host ports (127.0.0.1) forwarded into the machine.")),
      health: required(str("`healthy`, `dead` (found by refresh), `unhealthy`, or `missing`.")),
      consoleLog: str("The machine's serial console log."),
      readySeconds: num("Seconds from start to a passed health check."),
    } satisfies Record<keyof FleetMachineSummary, Property>,
  },
  "linuxkit:metal:FleetHealth": {
    description:
      "When a Metal device counts as healthy: a TCP port or HTTP path on its public IPv4, or (neither given) the device being `active` after its reboot.",
    properties: {
      tcpPort: int("A TCP port on the device's public IPv4 that must accept a connection."),
      httpPath: str(
        "An HTTP path that must answer 2xx on `tcpPort` (default 80) of the public IPv4.",
      ),
      timeoutSeconds: num("Seconds a device gets to be `active` and answer. Default 1800."),
    } satisfies Record<keyof MetalFleetHealth, Property>,
  },
  "linuxkit:metal:FleetMachine": {
    description: "One slot of a Metal fleet.",
    properties: {
      slot: required(int("Slot number, from 0.")),
      deviceId: str("The Metal device ID."),
      hostname: str("The device's hostname, `<name>-<slot>`."),
      ipxeScriptUrl: str("The iPXE script the device boots."),
      publicIpv4: str("First public IPv4 address."),
      health: required(str("`healthy`, `unhealthy`, `dead` or `missing`.")),
    } satisfies Record<keyof MetalFleetMachineSummary, Property>,
  },
  "linuxkit:gcp:FleetHealth": {
    description:
      "The HTTP health check of a GCP fleet: it gates a rollout and drives the group's autohealing.",
    properties: {
      port: required(int("TCP port the guest answers HTTP health checks on (1-65535).")),
      path: str("HTTP path that answers 200 when the guest is healthy. Default `/`."),
      initialDelaySec: int(
        "Seconds after an instance starts before autohealing judges it. Default 120.",
      ),
    } satisfies Record<keyof GcpFleetHealth, Property>,
  },
  "linuxkit:redfish:Readiness": {
    description:
      "When a Redfish machine counts as ready: powered on, plus these checks where this host can reach them. With none set, as soon as it is on.",
    properties: REDFISH_READINESS,
  },
  "linuxkit:redfish:FleetMember": {
    description: "One machine of a Redfish fleet (a slot): its BMC and system.",
    properties: {
      endpoint: required(str("The BMC's Redfish service, `https://<host>[:port]`.")),
      systemId: str("The system's id at the BMC. Default: the BMC's only system."),
      readiness: ref(
        "linuxkit:redfish:Readiness",
        "This machine's readiness (its address, console log), over the fleet's.",
      ),
    } satisfies Record<keyof RedfishFleetMember, Property>,
  },
  "linuxkit:redfish:FleetMachine": {
    description: "One slot of a Redfish fleet as last seen.",
    properties: {
      slot: required(int("Slot number, from 0.")),
      endpoint: required(str("The machine's BMC.")),
      systemPath: str("`/redfish/v1/Systems/<id>` at the BMC; null when the slot is empty."),
      health: required(str("`healthy`, `unhealthy`, `dead` or `missing`.")),
    } satisfies Record<keyof RedfishFleetMachineSummary, Property>,
  },
  "linuxkit:redfish:SshConnection": {
    description:
      "How to reach the host that serves the artifacts over SSH (the fields of @pulumi/command's remote connection this package passes on).",
    properties: SSH_CONNECTION,
  },
};
