/**
 * The MetalDevice dynamic provider: a bare-metal machine that iPXE-boots a
 * script URL, over the Metal API v1. A new script URL or user data is a PUT
 * plus a reboot (the machine and its IPs stay); plan, metro or project
 * replace it.
 *
 * The API token comes from the `authToken` input (kept as a secret output,
 * so the engine hands it back, encrypted in state, to refresh and destroy,
 * which run without the program), the secret stack configuration
 * `metal:authToken`, or METAL_AUTH_TOKEN, in that order.
 */
import { LinuxKitError } from "../../errors/errors";
import path from "node:path";

import {
  MetalClient,
  MetalWaitError,
  publicIpv4,
  type MetalDevice,
  type MetalUpdateDeviceRequest,
} from "../../metal/metal-client";
import {
  changedKeys,
  deviceDiff,
  inputFailures,
  normaliseInputs,
  REBOOTING,
  type MetalDeviceInputs,
  type MetalDeviceOutputs,
} from "./metal-device-inputs";
import { MetalCredentials, type ProviderConfigRequest } from "./metal-credentials";
import {
  clearPending,
  createDeviceOnce,
  DEFAULT_PENDING_DIR,
  userTags,
} from "../../metal/pending-creates";

export {
  METAL_API_URL_CONFIG,
  METAL_API_URL_ENV,
  METAL_TOKEN_CONFIG,
  METAL_TOKEN_ENV,
} from "./metal-credentials";

/** How long a reboot may take to show in the device's state before it is taken as done. */
const REBOOT_GRACE_MS = 60_000;

/** The stack configuration this provider process was given (see `configure`). */
const credentials = new MetalCredentials();

function clientFor(i: Pick<MetalDeviceInputs, "apiUrl" | "authToken">): MetalClient {
  return credentials.client(i);
}

/**
 * An error for the engine: the hint is part of the message, on the same
 * line (the engine shows only the message, and only its first line for a
 * failed delete).
 */
function forEngine(e: unknown, doing: string): Error {
  if (e instanceof LinuxKitError) {
    const hint = e.hint === undefined ? "" : ` (hint: ${e.hint})`;
    return new Error(`${doing}: ${e.message}${hint}`, { cause: e });
  }
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * What is stored: the inputs and the device's facts. An `authToken` input
 * is kept (the resource marks it a secret output, so state holds it
 * encrypted): refresh and destroy get it back from the engine.
 */
function outputsOf(inputs: MetalDeviceInputs, d: MetalDevice): MetalDeviceOutputs {
  const outs: MetalDeviceOutputs = {
    ...inputs,
    deviceId: d.id,
    state: d.state,
    hostname: d.hostname ?? inputs.hostname,
  };
  const ip = publicIpv4(d);
  if (ip !== undefined) outs.publicIpv4 = ip;
  return outs;
}

/**
 * Waits for `active`. Any failure once the device exists (it failed, timed
 * out, or the API stopped answering) is recorded as created-but-failed, with
 * its id: the engine keeps it in state, so the device is never orphaned,
 * and the next `up` resumes the wait (or replaces a failed device).
 */
async function waitActive(
  client: MetalClient,
  inputs: MetalDeviceInputs,
  id: string,
  doing: string,
): Promise<MetalDevice> {
  try {
    return await client.waitForState(id, ["active"], {
      timeoutMs: inputs.timeoutSeconds * 1000,
      pollMs: inputs.pollSeconds * 1000,
    });
  } catch (e) {
    if (e instanceof MetalWaitError && e.reason === "gone") throw forEngine(e, doing);
    const last =
      e instanceof MetalWaitError && e.device !== undefined
        ? e.device
        : {
            id,
            hostname: inputs.hostname,
            state: e instanceof MetalWaitError ? "failed" : "unknown",
          };
    throw recorded(forEngine(e, doing), id, outputsOf(inputs, last));
  }
}

/** `err` as the engine records a created-but-failed resource: with its id and properties. */
function recorded(err: Error, id: string, properties: MetalDeviceOutputs): Error {
  const e = err as Error & { id?: string; properties?: MetalDeviceOutputs; reasons?: string[] };
  e.id = id;
  e.properties = properties;
  e.reasons = [err.message];
  return e;
}

export const metalDeviceProvider = {
  async configure(req: ProviderConfigRequest) {
    credentials.configure(req);
  },

  async check(_olds: Partial<MetalDeviceInputs>, news: Partial<MetalDeviceInputs>) {
    const inputs = normaliseInputs(news);
    const failures = inputFailures(inputs);
    return failures.length > 0 ? { inputs, failures } : { inputs };
  },

  async diff(_id: string, olds: MetalDeviceOutputs, news: MetalDeviceInputs) {
    return deviceDiff(olds, normaliseInputs(news));
  },

  async create(inputs: MetalDeviceInputs) {
    let client: MetalClient;
    let created: MetalDevice;
    let tag: string;
    const pendingDir = path.resolve(DEFAULT_PENDING_DIR);
    try {
      client = clientFor(inputs);
      ({ device: created, tag } = await createDeviceOnce(client, pendingDir, inputs.projectId, {
        hostname: inputs.hostname,
        plan: inputs.plan,
        metro: inputs.metro,
        operating_system: "custom_ipxe",
        ipxe_script_url: inputs.ipxeScriptUrl,
        always_pxe: inputs.alwaysPxe,
        ...(inputs.userData === undefined ? {} : { userdata: inputs.userData }),
        ...(inputs.tags === undefined ? {} : { tags: inputs.tags }),
        ...(inputs.billingCycle === undefined ? {} : { billing_cycle: inputs.billingCycle }),
      }));
    } catch (e) {
      throw forEngine(e, `creating Metal device ${inputs.hostname}`);
    }
    try {
      const device = await waitActive(
        client,
        inputs,
        created.id,
        `Metal device ${inputs.hostname} (${created.id})`,
      );
      return { id: created.id, outs: outputsOf(inputs, device) };
    } finally {
      // Recorded now (as created, or created-but-failed with its id) or gone.
      await clearPending(pendingDir, tag);
    }
  },

  async update(id: string, olds: MetalDeviceOutputs, newsIn: MetalDeviceInputs) {
    const news = normaliseInputs(newsIn);
    const changed = changedKeys(olds, news);
    const patch: MetalUpdateDeviceRequest = {};
    if (changed.includes("ipxeScriptUrl") || changed.includes("alwaysPxe")) {
      // As `linuxkit run equinixmetal --device`: the new script and always_pxe together.
      patch.ipxe_script_url = news.ipxeScriptUrl;
      patch.always_pxe = news.alwaysPxe;
    }
    if (changed.includes("userData")) patch.userdata = news.userData ?? "";
    if (changed.includes("hostname")) patch.hostname = news.hostname;
    if (changed.includes("tags")) patch.tags = news.tags ?? [];
    if (changed.includes("billingCycle") && news.billingCycle !== undefined) {
      patch.billing_cycle = news.billingCycle;
    }
    const doing = `updating Metal device ${news.hostname} (${id})`;
    let device: MetalDevice | undefined;
    let client: MetalClient;
    try {
      client = clientFor(news);
      if (Object.keys(patch).length > 0) device = await client.updateDevice(id, patch);
      if (changed.some((k) => REBOOTING.includes(k))) {
        await client.rebootAndAwaitDown(id, {
          graceMs: Math.min(REBOOT_GRACE_MS, news.timeoutSeconds * 1000),
          pollMs: news.pollSeconds * 1000,
        });
      }
    } catch (e) {
      throw forEngine(e, doing);
    }
    if (changed.some((k) => REBOOTING.includes(k)) || olds.state !== "active") {
      device = await waitActive(client, news, id, doing);
    }
    if (device === undefined) {
      return { outs: { ...olds, ...news, deviceId: id, state: olds.state } };
    }
    return { outs: outputsOf(news, device) };
  },

  /** Refresh: a device the API no longer knows is gone; otherwise its live fields win. */
  async read(id: string, props?: MetalDeviceOutputs) {
    if (props === undefined) return {};
    let device: MetalDevice | undefined;
    try {
      device = await clientFor(props).getDevice(id);
    } catch (e) {
      throw forEngine(e, `reading Metal device ${id}`);
    }
    if (device === undefined) return {};
    const live: MetalDeviceOutputs = {
      ...outputsOf(props, device),
      ...(device.ipxe_script_url === undefined ? {} : { ipxeScriptUrl: device.ipxe_script_url }),
      ...(device.always_pxe === undefined ? {} : { alwaysPxe: device.always_pxe }),
      ...(device.tags === undefined || props.tags === undefined
        ? {}
        : { tags: userTags(device.tags) }),
    };
    return { id, props: live };
  },

  async delete(id: string, props: MetalDeviceOutputs) {
    try {
      await clientFor(props).deleteDevice(id);
    } catch (e) {
      throw forEngine(e, `deleting Metal device ${id}`);
    }
  },
};
