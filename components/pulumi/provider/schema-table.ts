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
};
