/**
 * The detailed diff the plugin returns with each diff: which property
 * changes and whether that is an update or a replacement, so
 * `pulumi preview --diff` shows exactly that in every language. Built from
 * the implementation's own verdict (its `replaces`) and a comparison of
 * old and new inputs.
 */

/** pulumirpc.PropertyDiff.Kind. */
export const DiffKind = {
  ADD: 0,
  ADD_REPLACE: 1,
  DELETE: 2,
  DELETE_REPLACE: 3,
  UPDATE: 4,
  UPDATE_REPLACE: 5,
} as const;

export interface PropertyDiff {
  kind: (typeof DiffKind)[keyof typeof DiffKind];
  /** The difference is between inputs (not outputs). */
  inputDiff: boolean;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * One entry per input that differs, and one per property the
 * implementation replaces on (which may be a derived one, such as an
 * Image's `images` when a tag moved). Nothing when the implementation
 * found no change.
 */
export function detailedDiff(
  inputKeys: string[],
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  result: { changes?: boolean; replaces?: string[] },
): Record<string, PropertyDiff> {
  const out: Record<string, PropertyDiff> = {};
  if (result.changes === false) return out;
  const replaces = new Set(result.replaces ?? []);
  for (const k of inputKeys) {
    const o = olds[k];
    const n = news[k];
    if (same(o, n)) continue;
    const r = replaces.has(k);
    let kind: PropertyDiff["kind"];
    if (o === undefined) kind = r ? DiffKind.ADD_REPLACE : DiffKind.ADD;
    else if (n === undefined) kind = r ? DiffKind.DELETE_REPLACE : DiffKind.DELETE;
    else kind = r ? DiffKind.UPDATE_REPLACE : DiffKind.UPDATE;
    out[k] = { kind, inputDiff: true };
  }
  for (const k of replaces) {
    if (out[k] === undefined)
      out[k] = { kind: DiffKind.UPDATE_REPLACE, inputDiff: inputKeys.includes(k) };
  }
  return out;
}
