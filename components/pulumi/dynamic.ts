import type * as pulumi from "@pulumi/pulumi";

import type { ProviderName } from "./providers";

/**
 * A dynamic provider that loads its implementation inside the provider
 * process by package specifier, `pulumi-linuxkit/providers`, resolved from
 * the program folder (the provider's working directory): state written
 * from one checkout works from any other, since nothing in it names a path
 * on the machine that wrote it. Pulumi serializes the provider object into
 * state with everything it captures: capturing only two constant strings
 * keeps state small and portable, keeps clients and modules out of it, and
 * lets the implementation change between versions.
 */
export function lazyProvider(name: ProviderName): pulumi.dynamic.ResourceProvider {
  const load = (): Required<pulumi.dynamic.ResourceProvider> => {
    // Resolved as a module in the program folder would resolve it: from its
    // node_modules, NODE_PATH, or the package itself when the program lives
    // inside this package (its own demo and examples).
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { createRequire } = require("node:module") as typeof import("node:module");
    const { join } = require("node:path") as typeof import("node:path");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const fromProgram = createRequire(join(process.cwd(), "__pulumi_program__.js"));
    return fromProgram("pulumi-linuxkit/providers").loadProvider(name);
  };
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
