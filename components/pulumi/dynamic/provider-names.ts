/**
 * The names resource classes give their dynamic provider (see dynamic.ts);
 * `providers.ts` maps each to its implementation, and the type checker
 * holds the two lists equal.
 */
export type ProviderName =
  "image" | "qemuVm" | "metalDevice" | "metalArtifacts" | "qemuFleet" | "metalFleet";
