/**
 * Every resource and component of the `linuxkit` package, with a
 * description for each property: the source schema.json is generated
 * from (see schema.ts). Each `satisfies` clause makes the compiler check
 * the table against the implementation's input or output type both ways:
 * a property the implementation gains or loses fails the build until the
 * table (and so the schema and the SDKs) follow.
 */
import type { QemuFleetInputs } from "../fleet/qemu-fleet-inputs";
import type { QemuFleetOutputs } from "../fleet/qemu-fleet-provider";
import type { ImageOutputs } from "../image/image-provider";
import type { MetalDeviceInputs, MetalDeviceOutputs } from "../metal/metal-device-inputs";
import type { MetalFleetInputs, MetalFleetOutputs } from "../metal/metal-fleet-provider";
import type { LocalMachineArgs } from "../qemu/local-machine";
import type { QemuVmInputs, QemuVmOutputs } from "../qemu/qemu-vm-inputs";
import type { GcpFleetArgs } from "../gcp/gcp-fleet";
import type { GcpImageArgs } from "../gcp/gcp-image";
import type { GcpMachineArgs } from "../gcp/gcp-machine";
import type { GcsIpxeArtifactsArgs } from "../gcp/gcs-ipxe-artifacts";
import type { MetalArtifactsArgs } from "../metal/metal-artifacts";
import type {
  MetalArtifactsInputs,
  MetalArtifactsOutputs,
} from "../metal/metal-artifacts-provider";
import type { RedfishFleetInputs, RedfishFleetOutputs } from "../redfish/redfish-fleet-provider";
import type {
  RedfishMachineInputs,
  RedfishMachineOutputs,
} from "../redfish/redfish-machine-inputs";
import type { RemoteArtifactsArgs } from "../redfish/remote-artifacts";
import {
  any,
  bool,
  int,
  listOf,
  mapOf,
  num,
  ref,
  replaces,
  required,
  resourceRef,
  secret,
  str,
  STRING,
  typeRef,
  type Property,
  type ResourceSpec,
} from "./schema-dsl";
import { IMAGE_INPUTS } from "./schema-types";

const IMAGE_OUTPUTS = {
  ...IMAGE_INPUTS,
  contentHash: required(str("Content key of the build: equal keys mean byte-identical artifacts.")),
  specHash: required(str("sha256 of the canonical resolved configuration.")),
  artifactDir: required(str("Folder holding this version's artifacts.")),
  artifacts: required(
    listOf(
      typeRef("linuxkit:index:ImageArtifact"),
      "Every artifact with its path, sha256 and size.",
    ),
  ),
  images: required(mapOf(STRING, "Image reference → content id used in the build.")),
  cmdline: required(str("Kernel command line from the configuration.")),
  kernel: str("Path of `<name>-kernel` (kernel+initrd format)."),
  initrd: str("Path of `<name>-initrd.img` (kernel+initrd format)."),
};

const VM_INPUTS = {
  name: replaces(str("Name shown in state folders. Default: the resource name.")),
  stateDir: replaces(
    str("Folder for per-VM state (pidfile, QMP socket, console log). Default `.linuxkit/vms`."),
  ),
  kernel: replaces(
    str("Kernel to boot (an Image's `kernel` output). Set with `initrd`, or set `iso` or `disk`."),
  ),
  initrd: replaces(str("Initrd to boot (an Image's `initrd` output).")),
  cmdline: replaces(str("Kernel command line (an Image's `cmdline` output).")),
  iso: replaces(str("An ISO to boot from.")),
  disk: replaces(str("A disk image to boot from.")),
  diskFormat: replaces(str("Format of `disk`: `raw` (default), `qcow2`, `vmdk` or `vpc`.")),
  uefi: replaces(bool("Boot `iso`/`disk` with UEFI (OVMF). Default false.")),
  memoryMiB: replaces(int("Guest memory in MiB. Default 1024.")),
  cpus: replaces(int("Virtual CPUs. Default 1.")),
  accel: replaces(
    str(
      "`auto` (kvm when /dev/kvm is usable), `kvm` or `tcg`. Default `auto`; LINUXKIT_QEMU_ACCEL overrides it.",
    ),
  ),
  forwards: replaces(
    listOf(
      typeRef("linuxkit:qemu:PortForward"),
      "Ports forwarded from 127.0.0.1 on the host into the guest.",
    ),
  ),
  readiness: ref(
    "linuxkit:qemu:Readiness",
    "When the VM counts as up. Default: as soon as qemu runs. A change is an update (it affects later waits only).",
  ),
  shutdownTimeoutSeconds: num(
    "Seconds the guest gets to power down on delete. Default 5. A change is an update.",
  ),
  imageHash: replaces(
    str("Content hash of the booted image (an Image's `contentHash`); a change replaces the VM."),
  ),
  arch: replaces(
    str(
      "Architecture of the image (`amd64` or `arm64`, an Image's `arch`): chooses qemu-system-x86_64 or qemu-system-aarch64 and the firmware. Default `amd64`; a change replaces the VM.",
    ),
  ),
} satisfies Record<keyof QemuVmInputs, Property>;

const FLEET_INPUTS = {
  name: replaces(str("Name used in folders and messages. Default: the resource name.")),
  stateDir: replaces(
    str(
      "Folder for the fleet's machines and journal, relative to the program folder. Default `.linuxkit/fleets`.",
    ),
  ),
  kernel: required(
    str("Kernel every machine boots (an Image's `kernel`). A change rolls the fleet."),
  ),
  initrd: required(
    str("Initrd every machine boots (an Image's `initrd`). A change rolls the fleet."),
  ),
  cmdline: str("Kernel command line (an Image's `cmdline`). A change rolls the fleet."),
  imageHash: required(
    str(
      "Content hash of the image (an Image's `contentHash`). A change rolls the fleet, a wave at a time.",
    ),
  ),
  size: required(int("Number of machines (slots). A change adds or removes machines only.")),
  maxSurge: int("Machines allowed beyond `size` while rolling to a new image. Default 1."),
  maxUnavailable: int(
    "Slots allowed without a healthy machine while rolling. Default 0. `maxSurge` and `maxUnavailable` may not both be 0.",
  ),
  memoryMiB: int("Guest memory per machine in MiB. Default 1024. A change rolls the fleet."),
  cpus: int("Virtual CPUs per machine. Default 1. A change rolls the fleet."),
  accel: str("`auto`, `kvm` or `tcg`; LINUXKIT_QEMU_ACCEL overrides it. Default `auto`."),
  forwards: replaces(
    listOf(
      typeRef("linuxkit:qemu:FleetForward"),
      "Guest ports reached from 127.0.0.1 (`size + maxSurge` host ports each).",
    ),
  ),
  health: required(ref("linuxkit:qemu:FleetHealth", "When a new machine counts as healthy.")),
  shutdownTimeoutSeconds: num(
    "Seconds a stopping guest gets to power down before qemu is stopped. Default 5.",
  ),
  arch: str(
    "Architecture of the image (`amd64` or `arm64`, an Image's `arch`): chooses the qemu system and firmware of every machine. Default `amd64`.",
  ),
} satisfies Record<keyof QemuFleetInputs, Property>;

const DEVICE_INPUTS = {
  projectId: required(
    replaces(str("Metal project the machine belongs to. A change replaces the machine.")),
  ),
  plan: required(replaces(str("Plan slug, e.g. `c3.small.x86`. A change replaces the machine."))),
  metro: required(replaces(str("Metro code, e.g. `da`. A change replaces the machine."))),
  ipxeScriptUrl: required(
    str(
      "URL of the iPXE script the machine boots. A change is an in-place update: PUT, then reboot.",
    ),
  ),
  hostname: str("Hostname. Default: the resource name. A change is a PUT."),
  userData: str(
    "User data for the machine (LinuxKit's metadata package reads it). A change is a PUT plus a reboot.",
  ),
  tags: listOf(STRING, "Tags. A change is a PUT."),
  alwaysPxe: bool(
    "iPXE-boot the script on every boot; needed for updates by reboot. Default true.",
  ),
  billingCycle: str("`hourly`, `daily`, `monthly` or `yearly`. Default: the API's (`hourly`)."),
  apiUrl: str(
    "Metal API v1 root. Default: the provider's `metalApiUrl`, then METAL_API_URL, else Equinix's.",
  ),
  authToken: secret(
    str(
      "API token. Stored only encrypted (a secret output) so refresh and destroy can use it; without it the provider's `metalAuthToken` (or METAL_AUTH_TOKEN) is used: prefer that, which keeps the token out of the resource's state.",
    ),
  ),
  timeoutSeconds: num(
    "Longest wait for the machine to be `active` after create or an update's reboot, in seconds. Default 1800.",
  ),
  pollSeconds: num("Seconds between state polls. Default 10."),
} satisfies Record<keyof MetalDeviceInputs, Property>;

const { authToken: _token, ...DEVICE_STORED } = DEVICE_INPUTS;
void _token;

const METAL_FLEET_INPUTS = {
  name: replaces(str("Name used in hostnames (`<name>-<slot>`). Default: the resource name.")),
  projectId: required(
    replaces(str("Metal project the devices belong to. A change replaces the fleet.")),
  ),
  plan: required(replaces(str("Plan slug. A change replaces the fleet."))),
  metro: required(replaces(str("Metro code. A change replaces the fleet."))),
  ipxeScriptUrl: required(
    str(
      "URL of the iPXE script the devices boot. A change rolls the fleet: PUT + reboot per device.",
    ),
  ),
  userData: str("User data for every device. A change rolls the fleet."),
  tags: listOf(STRING, "Tags for every device."),
  alwaysPxe: bool(
    "iPXE-boot the script on every boot (needed for updates by reboot). Default true.",
  ),
  billingCycle: str("`hourly`, `daily`, `monthly` or `yearly`."),
  apiUrl: replaces(
    str(
      "Metal API v1 root. Default: the provider's `metalApiUrl`, then METAL_API_URL. The token comes from the provider's `metalAuthToken` or METAL_AUTH_TOKEN.",
    ),
  ),
  size: required(int("Number of devices.")),
  maxUnavailable: int("Devices rebooted at a time. Default 1."),
  health: ref("linuxkit:metal:FleetHealth", "When a device counts as healthy."),
  pollSeconds: num("Seconds between device state polls. Default 10."),
} satisfies Record<keyof MetalFleetInputs, Property>;

const LOCAL_MACHINE_INPUTS = {
  image: required(
    ref(
      "linuxkit:index:ImageSettings",
      "How to build the image (any Image input; formats default to kernel+initrd).",
    ),
  ),
  memoryMiB: int("Guest memory in MiB. Default 1024."),
  cpus: int("Virtual CPUs. Default 1."),
  accel: str("`auto`, `kvm` or `tcg`; LINUXKIT_QEMU_ACCEL overrides it. Default `auto`."),
  forwards: listOf(
    typeRef("linuxkit:qemu:PortForward"),
    "Ports forwarded from 127.0.0.1 into the guest.",
  ),
  readiness: ref("linuxkit:qemu:Readiness", "When the VM counts as up."),
  cmdlineAppend: str("Extra kernel command line appended to the image's."),
  stateDir: str("Folder for VM state. Default `.linuxkit/vms`."),
} satisfies Record<keyof LocalMachineArgs, Property>;

const IMAGE_REF = (what: string): Property =>
  required(
    resourceRef("linuxkit:index:Image", `The Image (a \`linuxkit:index:Image\` resource) ${what}.`),
  );
const GCP_IMAGE_REF = (what: string): Property =>
  required(
    resourceRef(
      "linuxkit:gcp:Image",
      `The uploaded image (a \`linuxkit:gcp:Image\` component) ${what}.`,
    ),
  );

const GCP_IMAGE_INPUTS = {
  image: IMAGE_REF("to upload; it must be built with the `gcp` format"),
  bucket: required(
    str("Cloud Storage bucket (name, no `gs://`) the `.img.tar.gz` is uploaded to."),
  ),
  importTimeout: str(
    "Longest wait for GCE to import the image (a duration: `45m`, `2h`). Default `60m` (imports commonly take 5-10 minutes, sometimes over 30). A plain value.",
  ),
  family: str("Image family, so `family/<name>` always names the newest image. Default: none."),
  uefi: bool(
    "Mark the image UEFI_COMPATIBLE. Refused for amd64 (the amd64 `gcp` format is a BIOS disk); arm64 images always are. Default false. A plain value.",
  ),
  nestedVirtualization: bool(
    "Add the `enable-vmx` license, for nested virtualization (KVM in the guest). Default false. A plain value.",
  ),
  labels: mapOf(STRING, "Labels on the compute image."),
  description: str("Description of the compute image. Default: names the LinuxKit content hash."),
} satisfies Record<keyof GcpImageArgs, Property>;

const GCP_MACHINE_INPUTS = {
  image: GCP_IMAGE_REF("the instance boots; a new image replaces the instance"),
  zone: required(str("Zone, e.g. `europe-west1-b`.")),
  machineType: str(
    "Machine type. Default `e2-small`. It must match the image's architecture (an Arm type such as `t2a-standard-1` for arm64).",
  ),
  userData: str(
    "Put in the `user-data` metadata key, which LinuxKit's metadata package reads into `/run/config`. A secret stays encrypted in state. A change updates the metadata in place.",
  ),
  network: str("VPC network. Default `default`."),
  subnetwork: str("Subnetwork (required on custom-mode networks). Default: none."),
  tags: listOf(STRING, "Network tags, for firewall rules."),
  externalIp: bool(
    "Give the instance an ephemeral external IPv4 address. Default true. A plain value.",
  ),
  diskSizeGb: num("Boot disk size in GB. Default: the image's size."),
} satisfies Record<keyof GcpMachineArgs, Property>;

const GCP_FLEET_INPUTS = {
  image: GCP_IMAGE_REF("every instance boots; a new image rolls the fleet"),
  region: required(str("Region, e.g. `europe-west1`.")),
  size: required(num("Number of instances.")),
  distributionPolicyZones: listOf(
    STRING,
    "Zones to spread over. Default: Compute Engine picks 3 zones of the region. A plain value.",
  ),
  machineType: str("Machine type. Default `e2-small`; it must match the image's architecture."),
  maxSurge: int(
    "Instances created above `size` during a rollout: 0 or at least the number of zones. Default: the number of zones (3). A plain value.",
  ),
  maxUnavailable: int(
    "Instances allowed down during a rollout: 0 or at least the number of zones. Default 0. A plain value.",
  ),
  health: required(
    ref("linuxkit:gcp:FleetHealth", "The HTTP health check that gates a rollout. A plain value."),
  ),
  userData: str("`user-data` metadata for every instance (a secret stays encrypted in state)."),
  network: str("VPC network (instances and the health-check firewall rule). Default `default`."),
  tags: listOf(
    STRING,
    "Extra network tags; the fleet always adds its own (`<name>-fleet`) for the firewall rule. A plain value.",
  ),
  externalIp: bool(
    "Give each instance an ephemeral external IPv4 address. Default true. A plain value.",
  ),
  diskSizeGb: num("Boot disk size in GB. Default: the image's size."),
} satisfies Record<keyof GcpFleetArgs, Property>;

const GCS_IPXE_INPUTS = {
  image: IMAGE_REF("to serve; it must be built with the `kernel+initrd` format"),
  bucket: required(
    str("Cloud Storage bucket (name, no `gs://`); it must allow object ACLs when `publicRead`."),
  ),
  prefix: str("Folder in the bucket. Default: the top level."),
  arch: str(
    "Architecture the script is written for: `x86_64` (default, console ttyS1) or `aarch64`.",
  ),
  publicRead: bool(
    "Make each object readable by anyone (`allUsers` READER), as iPXE fetches without credentials. Default true. A plain value.",
  ),
} satisfies Record<keyof GcsIpxeArtifactsArgs, Property>;

const METAL_ARTIFACTS_INPUTS = {
  image: IMAGE_REF("to serve; it must be built with the `kernel+initrd` format"),
  baseUrl: required(
    str(
      "The URL at which you serve `dir` (e.g. `pulumi-linuxkit serve .linuxkit/metal` behind a public address).",
    ),
  ),
  arch: str(
    "Machine architecture (`x86_64` or `aarch64`). Default: the Image's; a value that contradicts it is refused.",
  ),
  dir: str(
    "Folder to lay the files out in, relative to the program folder. Default `.linuxkit/metal`.",
  ),
} satisfies Record<keyof MetalArtifactsArgs, Property>;

const ARTIFACT_FILES_INPUTS = {
  name: replaces(str("File prefix (`<name>-kernel`, ...). Default: the resource name.")),
  kernel: required(str("Kernel to serve (an Image's `kernel`), relative to the program folder.")),
  initrd: required(str("Initrd to serve (an Image's `initrd`).")),
  cmdline: str("The image's kernel command line (an Image's `cmdline`). Default empty."),
  arch: str("`x86_64` (default) or `aarch64`: the script's shape."),
  baseUrl: required(str("URL at which `dir` is served.")),
  dir: str(
    "Folder to lay the versions out in, relative to the program folder. Default `.linuxkit/metal`.",
  ),
  contentHash: str(
    "Content hash of the image (an Image's `contentHash`). Default: hashed from the files.",
  ),
} satisfies Record<keyof MetalArtifactsInputs, Property>;

const REDFISH_COMMON = {
  username: required(str("BMC user.")),
  password: required(
    secret(
      str(
        "BMC password. Always secret: kept encrypted in state (refresh and destroy need it), never in plain text in state, logs or messages.",
      ),
    ),
  ),
  bootMethod: str(
    "`virtualMedia` (default): insert `isoUrl` and boot it once from Cd; `http`: UEFI HTTP boot of `bootUrl`; `pxe`: boot once from the network.",
  ),
  isoUrl: str(
    "URL of the ISO (an Image's iso-bios or iso-efi, served where the BMC can fetch it).",
  ),
  bootUrl: str("URL the firmware boots for `http`."),
  bootMode: str(
    "`UEFI` or `Legacy` with the boot override. Default: the system's (UEFI for `http`).",
  ),
  imageHash: str(
    "Content hash of the image (an Image's `contentHash`): a change re-images even when the URL stays the same.",
  ),
  restartType: str(
    "How a running machine moves to a new image: `ForceRestart` (default) or `GracefulRestart`.",
  ),
  readiness: ref("linuxkit:redfish:Readiness", "When a machine counts as ready."),
  insecureTls: bool("Skip TLS verification of the BMC's certificate. Default false."),
  caCertificate: str("PEM of the CA the BMC's certificate chains to (instead of `insecureTls`)."),
  powerTimeoutSeconds: num("Longest wait for a power state change, in seconds. Default 120."),
};

const REDFISH_MACHINE_INPUTS = {
  ...REDFISH_COMMON,
  endpoint: required(
    replaces(
      str("The BMC's Redfish service, `https://<host>[:port]`. A change replaces the machine."),
    ),
  ),
  systemId: replaces(
    str("The system's id at the BMC. Default: its only system. A change replaces the machine."),
  ),
  leaveRunningOnDelete: bool(
    "On destroy, eject the media but leave the machine running. Default false.",
  ),
} satisfies Record<keyof RedfishMachineInputs, Property>;

const REDFISH_FLEET_INPUTS = {
  ...REDFISH_COMMON,
  name: str("Name in messages. Default: the resource name."),
  machines: required(
    listOf(
      typeRef("linuxkit:redfish:FleetMember"),
      "The machines, one per slot. A slot listing another machine releases the old one and boots the new one.",
    ),
  ),
  maxUnavailable: int("Machines re-imaged at a time. Default 1 (no surge: the hardware is fixed)."),
} satisfies Record<keyof RedfishFleetInputs, Property>;

const REMOTE_ARTIFACTS_INPUTS = {
  image: IMAGE_REF("whose artifacts (its whole build folder) are copied"),
  connection: required(
    ref("linuxkit:redfish:SshConnection", "SSH connection to the host that serves them."),
  ),
  remoteDir: required(
    str("Folder on the host, under a web server's root; each build goes in `<remoteDir>/<hash>/`."),
  ),
  baseUrl: required(str("URL at which the web server serves `remoteDir`.")),
} satisfies Record<keyof RemoteArtifactsArgs, Property>;

/** Every resource of the package by token. */
export const RESOURCES: Record<string, ResourceSpec> = {
  "linuxkit:index:Image": {
    kind: "resource",
    description:
      "A LinuxKit image built from YAML with images from the local Docker engine. `pulumi up` builds it; it is rebuilt (and replaced) only when its content changes: the configuration, an image behind a tag, or a `files[].source` file.",
    inputs: IMAGE_INPUTS,
    outputs: {
      ...IMAGE_OUTPUTS,
      name: required(IMAGE_INPUTS.name),
      outputDir: required(IMAGE_INPUTS.outputDir),
      arch: required(IMAGE_INPUTS.arch),
      formats: required(IMAGE_INPUTS.formats),
      gzipLevel: required(int("The gzip level the build used.")),
    } satisfies Record<Exclude<keyof ImageOutputs, "dryRun">, Property>,
  },
  "linuxkit:qemu:Vm": {
    kind: "resource",
    description:
      "A local qemu VM that outlives `pulumi up`. Create waits for readiness; refresh notices a VM that was killed; delete powers it down. Any change to what it boots replaces it.",
    inputs: VM_INPUTS,
    outputs: {
      ...VM_INPUTS,
      name: required(VM_INPUTS.name),
      stateDir: required(VM_INPUTS.stateDir),
      memoryMiB: required(VM_INPUTS.memoryMiB),
      cpus: required(VM_INPUTS.cpus),
      accel: required(VM_INPUTS.accel),
      forwards: required(VM_INPUTS.forwards),
      instanceId: required(str("Random id of this VM instance, also in qemu's `-name`.")),
      vmDir: required(str("This VM's state folder.")),
      pid: required(int("The qemu process id.")),
      startTime: required(
        int("Start time of the qemu process (clock ticks since boot): a recycled pid has another."),
      ),
      consoleLog: required(str("Serial console log: `tail -f` it to watch the VM.")),
      qmpSocket: required(str("QMP control socket.")),
      accelUsed: required(str("The accelerator actually used (`kvm` or `tcg`).")),
      status: required(str("`running`, or `failed` when the VM started but never became ready.")),
    } satisfies Record<keyof QemuVmOutputs, Property>,
  },
  "linuxkit:qemu:Fleet": {
    kind: "resource",
    description:
      "A fleet of local qemu machines booting one image. A new image rolls through the fleet a wave at a time, each new machine health-checked before the next; a machine that fails stops the rollout while the others keep serving, and the next `up` resumes.",
    inputs: FLEET_INPUTS,
    outputs: {
      ...FLEET_INPUTS,
      fleetId: required(str("Random id of the fleet.")),
      fleetDir: required(str("The fleet's folder, relative to the program folder.")),
      status: required(str("`converged`, or `partial` after a stopped rollout.")),
      machines: required(
        listOf(
          typeRef("linuxkit:qemu:FleetMachine"),
          "One entry per slot: image hash, pid, host ports, health.",
        ),
      ),
      fleetState: required(
        any("The rollout engine's record (slots, images, machine handles); internal."),
      ),
      lastError: str("Why the last rollout stopped, when it did."),
    } satisfies Record<keyof QemuFleetOutputs, Property>,
  },
  "linuxkit:qemu:LocalMachine": {
    kind: "component",
    description:
      "A LinuxKit image built from YAML and booted as a local qemu VM (an Image and a Vm). Changing the YAML rebuilds the image and replaces the VM with one that boots the new version.",
    inputs: LOCAL_MACHINE_INPUTS,
    outputs: {
      image: required(resourceRef("linuxkit:index:Image", "The image resource.")),
      vm: required(resourceRef("linuxkit:qemu:Vm", "The VM resource.")),
      contentHash: required(str("Content hash of the image the VM boots.")),
      consoleLog: required(str("The VM's serial console log.")),
      pid: required(int("The qemu process id.")),
    },
  },
  "linuxkit:metal:Device": {
    kind: "resource",
    description:
      "A bare-metal machine on a service speaking the Metal API v1 that iPXE-boots a LinuxKit image. Create waits until the device is `active`; refresh notices a device deleted elsewhere; a new script URL or user data reboots the same machine into it.",
    inputs: DEVICE_INPUTS,
    outputs: {
      ...DEVICE_STORED,
      hostname: required(DEVICE_INPUTS.hostname),
      alwaysPxe: required(DEVICE_INPUTS.alwaysPxe),
      timeoutSeconds: required(DEVICE_INPUTS.timeoutSeconds),
      pollSeconds: required(DEVICE_INPUTS.pollSeconds),
      deviceId: required(str("The Metal device ID.")),
      state: required(str("The device's state when last seen (`active` after a successful up).")),
      publicIpv4: str("First public IPv4 address, once assigned."),
      authToken: secret(
        str("The `authToken` input, when given, kept encrypted so refresh and destroy can use it."),
      ),
    } satisfies Record<keyof MetalDeviceOutputs, Property>,
  },
  "linuxkit:metal:Fleet": {
    kind: "resource",
    description:
      "A fleet of Metal devices booting one iPXE script. A new script URL moves the devices to it by PUT + reboot, `maxUnavailable` at a time, each passing health before the next.",
    inputs: METAL_FLEET_INPUTS,
    outputs: {
      ...METAL_FLEET_INPUTS,
      status: required(str("`converged`, or `partial` after a stopped rollout.")),
      machines: required(
        listOf(
          typeRef("linuxkit:metal:FleetMachine"),
          "One entry per slot: device, script, address, health.",
        ),
      ),
      fleetState: required(any("The rollout engine's record; internal.")),
      lastError: str("Why the last rollout stopped, when it did."),
    } satisfies Record<keyof MetalFleetOutputs, Property>,
  },
  "linuxkit:metal:ArtifactFiles": {
    kind: "resource",
    description:
      "One version of an image's iPXE-bootable files (kernel, initrd, LinuxKit's script) laid out in a folder to serve; the child of `linuxkit:metal:Artifacts`. A new version gets a new folder and script URL; the old one is deleted after whatever pointed at it moved on.",
    inputs: ARTIFACT_FILES_INPUTS,
    outputs: {
      ...ARTIFACT_FILES_INPUTS,
      name: required(ARTIFACT_FILES_INPUTS.name),
      cmdline: required(ARTIFACT_FILES_INPUTS.cmdline),
      arch: required(ARTIFACT_FILES_INPUTS.arch),
      dir: required(ARTIFACT_FILES_INPUTS.dir),
      version: required(str("16 hex digits naming this version's folder and URL path.")),
      kernelFile: required(str("The served kernel, relative to the program folder.")),
      initrdFile: required(str("The served initrd.")),
      scriptFile: required(str("The iPXE script.")),
      versionUrl: required(str("URL of this version's folder: the script's `base-url`.")),
      ipxeScriptUrl: required(str("URL of the script: give it to a Metal device.")),
      ipxeScript: required(str("The script's text.")),
    } satisfies Record<keyof MetalArtifactsOutputs, Property>,
  },
  "linuxkit:metal:Artifacts": {
    kind: "component",
    description:
      "An Image's kernel, initrd and LinuxKit's iPXE script in a folder for you to serve at `baseUrl`. Each image version gets its own subfolder (and so its own `ipxeScriptUrl`): give that to a `linuxkit:metal:Device` and a new image is an in-place reboot of the same machine.",
    inputs: METAL_ARTIFACTS_INPUTS,
    outputs: {
      kernelFile: required(str("`<dir>/<version>/<name>-kernel`, relative to the program folder.")),
      initrdFile: required(str("The served initrd.")),
      scriptFile: required(str("The iPXE script's file.")),
      version: required(str("The version's folder name (16 hex digits).")),
      ipxeScriptUrl: required(str("The URL of the script: give it to a Metal device.")),
      ipxeScript: required(str("The script's text.")),
    },
  },
  "linuxkit:gcp:Image": {
    kind: "component",
    description:
      "A LinuxKit image uploaded to Cloud Storage and registered as a Compute Engine image, as `linuxkit push gcp` does. Both are named from content hashes: an unchanged build changes nothing, a new build makes a new object and image. Its children are @pulumi/gcp resources (the gcp plugin runs them).",
    inputs: GCP_IMAGE_INPUTS,
    outputs: {
      imageSelfLink: required(str("The image's self link, for instances and templates.")),
      imageName: required(str("The image's name (`<name>-<16 hex digits>`).")),
      objectUrl: required(str("`https://storage.googleapis.com/<bucket>/<object>` of the upload.")),
      arch: required(str("The image's architecture (`amd64` or `arm64`): machines must match it.")),
      gcpArchitecture: str(
        "Compute Engine's architecture of the image's disks: `ARM64` for arm64, unset for amd64.",
      ),
    },
  },
  "linuxkit:gcp:Machine": {
    kind: "component",
    description:
      "One Compute Engine instance booting a `linuxkit:gcp:Image`, with the serial console enabled. A new image replaces the instance.",
    inputs: GCP_MACHINE_INPUTS,
    outputs: {
      instanceName: required(str("The instance's name.")),
      selfLink: required(str("The instance's self link.")),
      internalIp: required(str("Internal IPv4 address.")),
      externalIp: str("External IPv4 address, when `externalIp` is on."),
    },
  },
  "linuxkit:gcp:Fleet": {
    kind: "component",
    description:
      "A regional managed instance group of LinuxKit instances behind an HTTP health check. A new image makes a new instance template; the group replaces its instances `maxSurge` at a time, and `pulumi up` returns once every instance runs it.",
    inputs: GCP_FLEET_INPUTS,
    outputs: {
      groupManager: required(str("Self link of the regional instance group manager.")),
      instanceTemplate: required(str("Self link of the current instance template.")),
      healthCheck: required(str("Self link of the health check.")),
      fleetTag: required(
        str("The network tag on every instance, which the firewall rule targets."),
      ),
    },
  },
  "linuxkit:gcp:IpxeArtifacts": {
    kind: "component",
    description:
      "The kernel, initrd and iPXE script of a LinuxKit image in a Cloud Storage bucket, for machines that iPXE-boot from a URL. The objects live in a folder named by a hash of the content, command line and arch: a new build gets a new script URL.",
    inputs: GCS_IPXE_INPUTS,
    outputs: {
      baseUrl: required(str("URL of the version's folder: the script's `base-url`.")),
      ipxeScriptUrl: required(str("URL of the script, for a device's iPXE script URL.")),
      ipxeScript: required(str("The script text.")),
    },
  },
  "linuxkit:redfish:Machine": {
    kind: "resource",
    description:
      "A physical machine with a Redfish BMC (iDRAC, iLO, XClarity, Supermicro, OpenBMC, sushy-tools) booting a LinuxKit image by virtual media, UEFI HTTP boot or PXE. A new image re-images the same machine in place; refresh notices a machine powered off or gone; destroy ejects the media and powers it off.",
    inputs: REDFISH_MACHINE_INPUTS,
    outputs: {
      ...REDFISH_MACHINE_INPUTS,
      bootMethod: required(REDFISH_MACHINE_INPUTS.bootMethod),
      restartType: required(REDFISH_MACHINE_INPUTS.restartType),
      readiness: required(REDFISH_MACHINE_INPUTS.readiness),
      insecureTls: required(REDFISH_MACHINE_INPUTS.insecureTls),
      leaveRunningOnDelete: required(REDFISH_MACHINE_INPUTS.leaveRunningOnDelete),
      powerTimeoutSeconds: required(REDFISH_MACHINE_INPUTS.powerTimeoutSeconds),
      systemPath: required(str("`/redfish/v1/Systems/<id>` at the endpoint.")),
      powerState: required(str("PowerState when last seen (`On` after a successful up).")),
      ready: required(bool("Whether the machine passed its readiness check after its last boot.")),
    } satisfies Record<keyof RedfishMachineOutputs, Property>,
  },
  "linuxkit:redfish:Fleet": {
    kind: "resource",
    description:
      "A fleet of machines with Redfish BMCs booting one image, rolled to a new one in place, `maxUnavailable` at a time, each passing its readiness check before the next; a machine that fails stops the rollout, naming it, and the others keep their image.",
    inputs: REDFISH_FLEET_INPUTS,
    outputs: {
      ...REDFISH_FLEET_INPUTS,
      name: required(REDFISH_FLEET_INPUTS.name),
      maxUnavailable: required(REDFISH_FLEET_INPUTS.maxUnavailable),
      status: required(str("`converged`, or `partial` after a stopped rollout.")),
      machineStates: required(
        listOf(
          typeRef("linuxkit:redfish:FleetMachine"),
          "One entry per slot: machine, system, health.",
        ),
      ),
      fleetState: required(any("The rollout engine's record (no credentials); internal.")),
      lastError: str("Why the last rollout stopped, when it did."),
    } satisfies Record<keyof RedfishFleetOutputs, Property>,
  },
  "linuxkit:redfish:RemoteArtifacts": {
    kind: "component",
    description:
      "An Image's artifacts copied to a host of yours over SSH (@pulumi/command's `remote.CopyToRemote`, whose plugin runs it) in a folder named by the content hash, and their URLs for a BMC to fetch. The copy runs again only when the content hash changes.",
    inputs: REMOTE_ARTIFACTS_INPUTS,
    outputs: {
      baseUrl: required(str("URL of this build's folder.")),
      urls: required(mapOf(STRING, "URL of each artifact, by file name.")),
      urlsByFormat: required(mapOf(STRING, "URL of the first artifact of each format, by format.")),
      isoUrl: str(
        "URL of the ISO to boot by virtual media: the iso-bios, else the iso-efi artifact.",
      ),
    },
  },
};
