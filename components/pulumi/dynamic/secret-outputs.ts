/**
 * Which outputs of a resource must be stored as secrets. A dynamic
 * provider sees secret inputs unwrapped and cannot mark what it returns, so
 * the resource asks the engine (`additionalSecretOutputs`) for every output
 * derived from an input that may be secret: one given as a Pulumi Output or
 * promise (`pulumi.secret(...)`, another resource's output), anywhere in it.
 * Whether such a value is secret is only known later; it is treated as if
 * it were, so a secret never lands in state in plain text.
 */
import * as pulumi from "@pulumi/pulumi";

/** True when `value` is, or holds anywhere inside it, an Output or a promise. */
export function mayHoldSecrets(value: unknown, depth = 0): boolean {
  if (value === null || value === undefined || depth > 64) return false;
  if (pulumi.Output.isInstance(value)) return true;
  if (typeof (value as { then?: unknown }).then === "function") return true;
  if (Array.isArray(value)) return value.some((v) => mayHoldSecrets(v, depth + 1));
  if (typeof value === "object") {
    return Object.values(value as Record<string, unknown>).some((v) =>
      mayHoldSecrets(v, depth + 1),
    );
  }
  return false;
}

/** `opts` with `names` added to its `additionalSecretOutputs` when `when` holds. */
export function withSecretOutputs(
  opts: pulumi.CustomResourceOptions | undefined,
  names: string[],
  when = true,
): pulumi.CustomResourceOptions {
  if (!when) return opts ?? {};
  const have = opts?.additionalSecretOutputs ?? [];
  return { ...opts, additionalSecretOutputs: [...new Set([...have, ...names])] };
}
