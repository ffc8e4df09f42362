/**
 * The RedfishMachine dynamic provider: one machine, through its BMC.
 * Create powers it off, inserts the ISO (or sets the boot override),
 * powers it on and waits until it is ready. A new image is the same in
 * place (eject, insert, restart). Refresh shows a system that is gone or
 * powered off; the next up boots it again. Delete ejects and powers off.
 *
 * The password is an input the program marks secret; it is kept in state
 * encrypted, as Pulumi's providers keep credentials (the resource lists it
 * in `additionalSecretOutputs`), so refresh and destroy, which run without
 * the program, have it. It never reaches a message or a log.
 */
import {
  bootImage,
  consoleOffset,
  machineConsoleTail,
  reimage,
  release,
  waitMachineReady,
  withRedfish,
  type RedfishClient,
} from "../../redfish";
import { forEngine, recordedFailure } from "./engine-error";
import {
  bootImageOf,
  changedKeys,
  inputFailures,
  machineDiff,
  needsBoot,
  normaliseInputs,
  REIMAGING,
  type RedfishMachineInputs,
  type RedfishMachineOutputs,
} from "./redfish-machine-inputs";

function connect<T>(i: RedfishMachineInputs, fn: (c: RedfishClient) => Promise<T>): Promise<T> {
  return withRedfish(
    {
      endpoint: i.endpoint,
      username: i.username,
      password: i.password,
      insecureTls: i.insecureTls,
      ...(i.caCertificate === undefined ? {} : { caCertificate: i.caCertificate }),
    },
    fn,
  );
}

const powerWait = (i: RedfishMachineInputs) => ({ timeoutMs: i.powerTimeoutSeconds * 1000 });

/** `https://bmc/redfish/v1/Systems/1`: the resource id. */
const idOf = (i: RedfishMachineInputs, systemPath: string): string =>
  `${new URL(i.endpoint).origin}${systemPath}`;

/** Waits for readiness; a machine that is not ready is recorded as such (the next up boots it again). */
async function ready(
  i: RedfishMachineInputs,
  outs: RedfishMachineOutputs,
  offset: number,
  id: string,
  doing: string,
): Promise<RedfishMachineOutputs> {
  const problem = await waitMachineReady(i.readiness, offset, () =>
    connect(i, async (c) => (await c.powerState(outs.systemPath)) === "On"),
  );
  if (problem === undefined) return { ...outs, ready: true };
  const tail = await machineConsoleTail(i.readiness);
  const console =
    tail.length === 0 ? "" : `; last console lines: ${tail.map((l) => `| ${l}`).join(" ")}`;
  throw recordedFailure(new Error(`${problem}${console}`), doing, id, { ...outs, ready: false });
}

export const redfishMachineProvider = {
  async check(_olds: Partial<RedfishMachineInputs>, news: Partial<RedfishMachineInputs>) {
    const inputs = normaliseInputs(news);
    const failures = inputFailures(inputs);
    return failures.length > 0 ? { inputs, failures } : { inputs };
  },

  async diff(_id: string, olds: RedfishMachineOutputs, news: RedfishMachineInputs) {
    return machineDiff(olds, normaliseInputs(news));
  },

  async create(inputsIn: RedfishMachineInputs) {
    const i = normaliseInputs(inputsIn);
    const doing = `booting ${i.isoUrl ?? i.bootUrl ?? i.bootMethod} on ${i.endpoint}${i.systemId ? ` system ${i.systemId}` : ""}`;
    const offset = await consoleOffset(i.readiness);
    let outs: RedfishMachineOutputs;
    try {
      outs = await connect(i, async (c) => {
        const systemPath = await c.resolveSystem(i.systemId);
        await bootImage(c, systemPath, bootImageOf(i), powerWait(i));
        return {
          ...i,
          systemPath,
          powerState: (await c.powerState(systemPath)) ?? "Unknown",
          ready: false,
        };
      });
    } catch (e) {
      throw forEngine(e, doing);
    }
    const id = idOf(i, outs.systemPath);
    return { id, outs: await ready(i, outs, offset, id, doing) };
  },

  async update(id: string, olds: RedfishMachineOutputs, newsIn: RedfishMachineInputs) {
    const news = normaliseInputs(newsIn);
    const changed = changedKeys(olds, news);
    // The new inputs (an input left out is gone, not kept from before) and what the BMC showed.
    const outs: RedfishMachineOutputs = {
      ...news,
      systemPath: olds.systemPath,
      powerState: olds.powerState,
      ready: olds.ready,
    };
    if (!changed.some((k) => REIMAGING.includes(k)) && !needsBoot(olds)) return { outs };
    const doing = `re-imaging ${id} with ${news.isoUrl ?? news.bootUrl ?? news.bootMethod}`;
    const offset = await consoleOffset(news.readiness);
    const image = { ...bootImageOf(news), previous: normaliseInputs(olds).bootMethod };
    try {
      outs.powerState = await connect(news, async (c) => {
        if (olds.powerState === "On") {
          await reimage(c, olds.systemPath, image, news.restartType, powerWait(news));
        } else {
          await bootImage(c, olds.systemPath, image, powerWait(news));
        }
        return (await c.powerState(olds.systemPath)) ?? "Unknown";
      });
    } catch (e) {
      throw forEngine(e, doing);
    }
    return { outs: await ready(news, { ...outs, ready: false }, offset, id, doing) };
  },

  /** Refresh: a system the BMC no longer has is gone; its power state is what the BMC says. */
  async read(id: string, props?: RedfishMachineOutputs) {
    if (props === undefined) return {};
    const i = normaliseInputs(props);
    let system: { PowerState?: string } | undefined;
    try {
      system = await connect(i, (c) => c.system(props.systemPath));
    } catch (e) {
      throw forEngine(e, `reading ${id}`);
    }
    if (system === undefined) return {};
    return { id, props: { ...props, powerState: system.PowerState ?? "Unknown" } };
  },

  async delete(id: string, props: RedfishMachineOutputs) {
    const i = normaliseInputs(props);
    try {
      await connect(i, (c) =>
        release(c, props.systemPath, i.bootMethod, i.leaveRunningOnDelete, powerWait(i)),
      );
    } catch (e) {
      throw forEngine(e, `releasing ${id}`);
    }
  },
};
