/**
 * Secret values on the provider protocol. The plugin accepts secrets, so
 * the engine sends a secret as `{ <sig>: <secret sig>, value }`; the
 * implementations want plain values, and what goes back to the engine must
 * be wrapped again or it would be stored in plain text.
 */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

type Props = Record<string, unknown>;

function isSecret(v: unknown): v is { value: unknown } {
  return (
    v !== null && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG
  );
}

function strip(v: unknown, found: { secret: boolean }): unknown {
  if (isSecret(v)) {
    found.secret = true;
    return strip(v.value, found);
  }
  if (Array.isArray(v)) return v.map((x) => strip(x, found));
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x, found)]));
  }
  return v;
}

/** The properties with every secret unwrapped, and the top-level names that held one. */
export function unwrapSecrets(props: Props | undefined): { plain: Props; secretKeys: Set<string> } {
  const plain: Props = {};
  const secretKeys = new Set<string>();
  for (const [k, v] of Object.entries(props ?? {})) {
    const found = { secret: false };
    plain[k] = strip(v, found);
    if (found.secret) secretKeys.add(k);
  }
  return { plain, secretKeys };
}

/** The properties with each of `keys` that is set wrapped as a secret. */
export function wrapSecrets(props: Props, keys: Iterable<string>): Props {
  const out: Props = { ...props };
  for (const k of keys) {
    if (out[k] !== undefined && !isSecret(out[k]))
      out[k] = { [SIG_KEY]: SECRET_SIG, value: out[k] };
  }
  return out;
}
