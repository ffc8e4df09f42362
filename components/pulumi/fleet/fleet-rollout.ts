import {
  RolloutError,
  rollout,
  type FleetAdapter,
  type FleetState,
  type RolloutHooks,
  type RolloutPolicy,
  type Target,
} from "../../fleet";
import { progress } from "../../progress";

/**
 * The value as JSON would carry it (undefined fields dropped). The provider
 * protocol's Struct conversion throws on `undefined`, and a throw while the
 * SDK packs a failed operation's properties is never answered: the
 * `pulumi up` hangs. Every property a fleet provider returns goes through this.
 */
export function jsonSafe<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** What a fleet provider runs: one rollout, and how its state becomes the resource's outputs. */
export interface FleetRun<M, O> {
  /** `QemuFleet web`, for messages. */
  label: string;
  /** The resource's id (recorded with a failed rollout). */
  id: string;
  adapter: FleetAdapter<M>;
  state: FleetState<M>;
  target: Target;
  policy: RolloutPolicy;
  hooks?: RolloutHooks<M>;
  outputs: (state: FleetState<M>, lastError?: string) => O;
}

/**
 * Runs a fleet provider's rollout. A stopped rollout throws the error
 * shape the Pulumi engine records as a created-but-failed (on create) or
 * partially updated (on update) resource: `{ id, properties, reasons }`
 * with the properties built from the exact state the rollout left, so
 * state shows which slot runs which image and the next `up` resumes.
 */
export async function runFleetRollout<M, O>(run: FleetRun<M, O>): Promise<O> {
  try {
    const hooks: RolloutHooks<M> = {
      ...run.hooks,
      log: run.hooks?.log ?? ((line) => progress(`${run.label}: ${line}`)),
    };
    const final = await rollout(run.adapter, run.state, run.target, run.policy, hooks);
    return jsonSafe(run.outputs(final));
  } catch (e) {
    if (!(e instanceof RolloutError)) throw e;
    const failed = e as RolloutError<M>;
    const err = new Error(`${run.label}: ${failed.message}`) as Error & {
      id?: string;
      properties?: O;
      reasons?: string[];
    };
    err.id = run.id;
    err.properties = jsonSafe(run.outputs(failed.state, failed.message));
    // The engine shows the reasons (not the message) of a failed resource: give it all of it.
    err.reasons = [failed.message];
    throw err;
  }
}
