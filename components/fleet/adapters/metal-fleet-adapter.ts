import net from "node:net";

import type { FleetAdapter } from "..";
import {
  MetalWaitError,
  publicIpv4,
  type MetalClient,
  type MetalDevice,
} from "../../metal/metal-client";
import { createDeviceOnce } from "../../metal/pending-creates";

/** One device of a MetalFleet, as kept in state. */
export interface MetalFleetMachine {
  deviceId: string;
  slot: number;
  hostname: string;
  /** The iPXE script the device boots. */
  ipxeScriptUrl: string;
  publicIpv4?: string;
  /** The tag of the create that made it, until the device is recorded in state (see pending-creates). */
  createTag?: string;
}

/** When a device counts as healthy after create or reboot. */
export interface MetalFleetHealth {
  /** A TCP port on the device's public IPv4 that must accept a connection. */
  tcpPort?: number;
  /** An HTTP path that must answer 2xx on `tcpPort` (default 80) of the public IPv4. */
  httpPath?: string;
  /** Seconds a device gets to be `active` and answer. Default 1800. */
  timeoutSeconds?: number;
}

/** What every device of a fleet is created with (the MetalDevice inputs, hostname aside). */
export interface MetalDeviceTemplate {
  projectId: string;
  plan: string;
  metro: string;
  /** The iPXE script the devices boot. */
  ipxeScriptUrl: string;
  userData?: string;
  tags?: string[];
  alwaysPxe: boolean;
  billingCycle?: string;
}

export interface MetalFleetSpec extends MetalDeviceTemplate {
  client: MetalClient;
  /** Hostnames are `<name>-<slot>`. */
  name: string;
  health: MetalFleetHealth;
  /** Seconds between device state polls. */
  pollSeconds: number;
  /** Folder of the in-flight create records (see pending-creates), absolute. */
  pendingDir: string;
  /** Answers the health check for an address: default a real TCP connect / HTTP GET. */
  probe?: (address: string, health: MetalFleetHealth) => Promise<boolean>;
}

/** A TCP connect (or an HTTP GET with 2xx) to the device's address. */
export async function probeAddress(address: string, h: MetalFleetHealth): Promise<boolean> {
  const port = h.tcpPort ?? 80;
  if (h.httpPath !== undefined) {
    try {
      const res = await fetch(`http://${address}:${port}${h.httpPath}`, {
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  }
  return new Promise((resolve) => {
    const sock = net.connect({ host: address, port, timeout: 5000 });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.on("connect", () => done(true));
    sock.on("timeout", () => done(false));
    sock.on("error", () => done(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** States of a device whose create has not finished: the API refuses actions until `active`. */
const CREATING = ["queued", "provisioning"];

/**
 * The rollout engine's adapter for Metal devices. There is no surge: a
 * device moves to a new image in place by a PUT of its iPXE script URL and
 * a reboot (`always_pxe` makes it boot the script again), then must be
 * `active` and, with a port, answer on its public IPv4. A device that
 * fails stays (recorded unhealthy) for the next run to reboot again.
 */
export function metalFleetAdapter(spec: MetalFleetSpec): FleetAdapter<MetalFleetMachine> {
  const timeoutMs = (spec.health.timeoutSeconds ?? 1800) * 1000;
  const pollMs = spec.pollSeconds * 1000;
  const checks = spec.health.tcpPort !== undefined || spec.health.httpPath !== undefined;
  const probe = spec.probe ?? probeAddress;
  /** Whether `d` was created with (or moved to) what the fleet boots now. */
  const bootsTarget = (d: MetalDevice): boolean =>
    d.ipxe_script_url === spec.ipxeScriptUrl &&
    (spec.userData === undefined || d.userdata === undefined || d.userdata === spec.userData);
  return {
    keepFailed: true,

    async start({ slot }) {
      const hostname = `${spec.name}-${slot}`;
      const { device: d, tag } = await createDeviceOnce(
        spec.client,
        spec.pendingDir,
        spec.projectId,
        {
          hostname,
          plan: spec.plan,
          metro: spec.metro,
          operating_system: "custom_ipxe",
          ipxe_script_url: spec.ipxeScriptUrl,
          always_pxe: spec.alwaysPxe,
          ...(spec.userData === undefined ? {} : { userdata: spec.userData }),
          ...(spec.tags === undefined ? {} : { tags: spec.tags }),
          ...(spec.billingCycle === undefined ? {} : { billing_cycle: spec.billingCycle }),
        },
      );
      return {
        deviceId: d.id,
        slot,
        hostname,
        ipxeScriptUrl: spec.ipxeScriptUrl,
        createTag: tag,
      };
    },

    async reimage(m) {
      // A device whose create has not finished (a run cut short while it provisioned, then
      // recorded unhealthy) is still booting its first image, and the API refuses a reboot.
      const d = await spec.client.getDevice(m.deviceId);
      if (d !== undefined && CREATING.includes(d.state)) {
        // Already booting the target: nothing to move, health waits for `active`.
        if (bootsTarget(d)) return { ...m, ipxeScriptUrl: spec.ipxeScriptUrl };
        // Another script: let the create finish, then move it like any device.
        await spec.client.waitForState(m.deviceId, ["active"], { timeoutMs, pollMs });
      }
      await spec.client.updateDevice(m.deviceId, {
        ipxe_script_url: spec.ipxeScriptUrl,
        always_pxe: spec.alwaysPxe,
        ...(spec.userData === undefined ? {} : { userdata: spec.userData }),
      });
      // Health then waits for `active`: first make sure the API shows the reboot.
      await spec.client.rebootAndAwaitDown(m.deviceId, {
        graceMs: Math.min(60_000, timeoutMs),
        pollMs,
      });
      return { ...m, ipxeScriptUrl: spec.ipxeScriptUrl };
    },

    async health(m) {
      const deadline = Date.now() + timeoutMs;
      let device;
      try {
        device = await spec.client.waitForState(m.deviceId, ["active"], { timeoutMs, pollMs });
      } catch (e) {
        if (e instanceof MetalWaitError) return e.message.replace(/^Metal device \S+ /, "");
        throw e;
      }
      const address = publicIpv4(device);
      if (address !== undefined) m.publicIpv4 = address;
      if (!checks) return undefined;
      if (address === undefined) return "is active but has no public IPv4 address to check";
      while (Date.now() < deadline) {
        if (await probe(address, spec.health)) return undefined;
        await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
      }
      const what = spec.health.httpPath ?? `TCP port ${spec.health.tcpPort}`;
      return `is active but ${address} did not answer ${what} within ${timeoutMs / 1000} s`;
    },

    async stop(m) {
      await spec.client.deleteDevice(m.deviceId);
    },

    async alive(m) {
      const d = await spec.client.getDevice(m.deviceId);
      return d !== undefined && d.state !== "failed";
    },

    describe(m) {
      return `${m.hostname} (device ${m.deviceId}${m.publicIpv4 ? `, ${m.publicIpv4}` : ""})`;
    },

    async consoleTail(m) {
      const d = await spec.client.getDevice(m.deviceId).catch(() => undefined);
      return [
        `device state: ${d?.state ?? "gone"} (its serial console is on the Metal SOS console)`,
      ];
    },
  };
}
