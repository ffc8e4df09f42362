/**
 * Resources handed to a component by reference (an Image to
 * `linuxkit:gcp:Image`, a `linuxkit:gcp:Image` to `linuxkit:gcp:Machine`):
 * the engine sends the plugin their URNs, and the SDK turns a URN into an
 * object only for packages that registered a resource module. These
 * modules make each reference an object whose fields are the resource's
 * outputs, read back from the engine (getResource), which is all the
 * components read of the TypeScript classes they take.
 */
import * as pulumi from "@pulumi/pulumi";

import type { ResourceSpec } from "./schema-dsl";
import { RESOURCES } from "./schema-table";

/** A resource known by URN, as a plain object of its outputs (Outputs). */
export interface Reference {
  /** The resource's type token. */
  readonly token: string;
}

/** An object with one (undefined) key per output: getResource fills exactly these. */
function outputKeys(spec: ResourceSpec): Record<string, undefined> {
  return Object.fromEntries(Object.keys(spec.outputs).map((k) => [k, undefined]));
}

class CustomReference extends pulumi.CustomResource implements Reference {
  readonly token: string;
  constructor(token: string, name: string, spec: ResourceSpec, urn: string) {
    super(token, name, outputKeys(spec), { urn });
    this.token = token;
  }
}

class ComponentReference extends pulumi.ComponentResource implements Reference {
  readonly token: string;
  constructor(token: string, name: string, spec: ResourceSpec, urn: string) {
    super(token, name, outputKeys(spec), { urn });
    this.token = token;
  }
}

/** The object for the resource `urn` of type `token` of this package. */
export function referenceTo(token: string, name: string, urn: string): pulumi.Resource {
  const spec = RESOURCES[token];
  if (spec === undefined) {
    throw new Error(
      `the linuxkit plugin cannot read ${urn}: it has no resource ${token} (a newer plugin may)`,
    );
  }
  return spec.kind === "component"
    ? new ComponentReference(token, name, spec, urn)
    : new CustomReference(token, name, spec, urn);
}

let registered = false;

/** Registers the package's modules with the SDK, so references arrive as objects (once). */
export function registerReferences(): void {
  if (registered) return;
  registered = true;
  const modules = new Set(Object.keys(RESOURCES).map((t) => t.split(":")[1] ?? ""));
  for (const mod of modules) {
    pulumi.runtime.registerResourceModule("linuxkit", mod, {
      construct: (name, type, urn) => referenceTo(type, name, urn),
    });
  }
}

/**
 * The input `key` of a component as the resource of type `token` it must
 * be, or an error naming the input and what to pass.
 */
export function referenceInput<T>(
  component: string,
  key: string,
  value: unknown,
  token: string,
): T {
  if (value instanceof CustomReference || value instanceof ComponentReference) {
    if (value.token === token) return value as unknown as T;
    throw new pulumi.InputPropertyError({
      propertyPath: key,
      reason: `${component} ${key} must be a ${token} resource, got a ${value.token}`,
    });
  }
  throw new pulumi.InputPropertyError({
    propertyPath: key,
    reason: `${component} ${key} must be a ${token} resource (pass the resource itself, not one of its outputs), got ${describeValue(value)}`,
  });
}

function describeValue(v: unknown): string {
  if (pulumi.Output.isInstance(v)) return "an output value";
  if (pulumi.Resource.isInstance(v)) return "another kind of resource";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  return v === undefined || v === null ? "nothing" : typeof v;
}
