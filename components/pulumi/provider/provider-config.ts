/**
 * The plugin's configuration (`linuxkit:metalAuthToken`, `linuxkit:metalApiUrl`,
 * `linuxkit:dockerHost`), from the engine's Configure call, each defaulting
 * to its environment variable (see schema.ts). The token is kept in the
 * process only: never logged, never written to state.
 */
import { CONFIG_ENV } from "./schema";

export interface ProviderSettings {
  metalAuthToken?: string;
  metalApiUrl?: string;
  dockerHost?: string;
  /** The same, under the stack keys the metal implementations read (`metal:authToken`, ...). */
  legacyConfig: Record<string, string | undefined>;
}

/** Settings from the configure call's values (`metalAuthToken` or `linuxkit:metalAuthToken`), else the environment. */
export function providerSettings(given: Record<string, unknown>): ProviderSettings {
  const value = (key: string): string | undefined => {
    const v = given[key] ?? given[`linuxkit:${key}`];
    if (typeof v === "string" && v !== "") return v;
    const env = CONFIG_ENV[key];
    const e = env === undefined ? undefined : process.env[env];
    return e === undefined || e === "" ? undefined : e;
  };
  const metalAuthToken = value("metalAuthToken");
  const metalApiUrl = value("metalApiUrl");
  const dockerHost = value("dockerHost");
  const s: ProviderSettings = {
    legacyConfig: { "metal:authToken": metalAuthToken, "metal:apiUrl": metalApiUrl },
  };
  if (metalAuthToken !== undefined) s.metalAuthToken = metalAuthToken;
  if (metalApiUrl !== undefined) s.metalApiUrl = metalApiUrl;
  if (dockerHost !== undefined) s.dockerHost = dockerHost;
  return s;
}
