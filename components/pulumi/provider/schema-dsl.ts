/**
 * A small vocabulary for writing the provider's Pulumi package schema as a
 * TypeScript table (schema-table.ts), so the compiler can hold each
 * resource's properties to the implementation's input and output types.
 * Pure data: no Pulumi imports.
 */

/** One property as Pulumi's package schema spells it (a subset). */
export interface PropertySpec {
  type?: "string" | "integer" | "number" | "boolean" | "array" | "object";
  $ref?: string;
  items?: Item;
  additionalProperties?: Item;
  description: string;
  secret?: boolean;
  willReplaceOnChanges?: boolean;
  default?: string | number | boolean;
  /** Per-language settings; `python.name` is the property's Python name (see schema.ts). */
  language?: { python?: { name: string } };
}

/** A property and whether it is required. */
export interface Property {
  spec: PropertySpec;
  required: boolean;
}

/** A list item or map value: a property without its own description. */
export type Item = Omit<PropertySpec, "description">;

function prop(spec: PropertySpec): Property {
  return { spec, required: false };
}

export const str = (description: string): Property => prop({ type: "string", description });
export const int = (description: string): Property => prop({ type: "integer", description });
export const num = (description: string): Property => prop({ type: "number", description });
export const bool = (description: string): Property => prop({ type: "boolean", description });
/** Any JSON value. */
export const any = (description: string): Property =>
  prop({ $ref: "pulumi.json#/Any", description });
/** An object type of this package (`linuxkit:qemu:PortForward`). */
export const ref = (token: string, description: string): Property =>
  prop({ $ref: `#/types/${token}`, description });
/** A resource of this package, by reference. */
export const resourceRef = (token: string, description: string): Property =>
  prop({ $ref: `#/resources/${token}`, description });
export const listOf = (item: Item | Property, description: string): Property =>
  prop({ type: "array", items: itemOf(item), description });
export const mapOf = (item: Item | Property, description: string): Property =>
  prop({ type: "object", additionalProperties: itemOf(item), description });

function itemOf(item: Item | Property): Item {
  if ("spec" in item) {
    const copy: PropertySpec = { ...item.spec };
    const { description: _drop, ...rest } = copy;
    void _drop;
    return rest;
  }
  return item;
}

export const STRING: Item = { type: "string" };
export const INTEGER: Item = { type: "integer" };
export const typeRef = (token: string): Item => ({ $ref: `#/types/${token}` });

/** The property, required. */
export function required(p: Property): Property {
  return { ...p, required: true };
}

/** The property, secret: encrypted in state, hidden in output. */
export function secret(p: Property): Property {
  return { ...p, spec: { ...p.spec, secret: true } };
}

/** The property, with the schema's note that a change replaces the resource. */
export function replaces(p: Property): Property {
  return { ...p, spec: { ...p.spec, willReplaceOnChanges: true } };
}

/** An object type of the schema. */
export interface ObjectTypeSpec {
  description: string;
  properties: Record<string, Property>;
}

/** A custom resource (served by check/diff/create/read/update/delete) or a component (construct). */
export interface ResourceSpec {
  kind: "resource" | "component";
  description: string;
  inputs: Record<string, Property>;
  outputs: Record<string, Property>;
}
