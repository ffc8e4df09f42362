import type * as pulumi from "@pulumi/pulumi";

import type { ProviderName } from "./providers";

/**
 * The package specifier the provider process loads implementations from.
 * It is resolved from the program's folder (the provider's working
 * directory), so state written from one checkout works from any other:
 * nothing in it names a path on the machine that wrote it.
 */
export const PROVIDERS_SPECIFIER = "pulumi-linuxkit/providers";

/**
 * A dynamic provider that loads its implementation inside the provider
 * process by package specifier. Pulumi serializes the provider object into
 * state with everything it captures: capturing only two constant strings
 * keeps state small and portable, keeps clients and modules out of it, and
 * lets the implementation change between versions.
 */
export function lazyProvider(name: ProviderName): pulumi.dynamic.ResourceProvider {
  const load = (): Required<pulumi.dynamic.ResourceProvider> =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("pulumi-linuxkit/providers").loadProvider(name);
  return {
    // Stack configuration (e.g. a secret API token) reaches the provider on
    // every operation, refresh and destroy included, without being stored in
    // any resource's state.
    configure: async (req) => {
      const impl = load() as pulumi.dynamic.ResourceProvider;
      if (impl.configure !== undefined) await impl.configure(req);
    },
    check: (olds, news) => load().check(olds, news),
    diff: (id, olds, news) => load().diff(id, olds, news),
    create: (inputs) => load().create(inputs),
    update: (id, olds, news) => load().update(id, olds, news),
    read: (id, props) => load().read(id, props),
    delete: (id, props) => load().delete(id, props),
  };
}
