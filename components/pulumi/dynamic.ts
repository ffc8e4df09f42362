import type * as pulumi from "@pulumi/pulumi";

/**
 * A dynamic provider that loads its implementation inside the provider
 * process, from a compiled module path. Pulumi serializes the provider
 * object into state with everything it captures: capturing only two
 * strings keeps state small, keeps clients and modules out of it, and lets
 * the implementation change between versions.
 */
export function lazyProvider(
  implementation: string,
  exportName: string,
): pulumi.dynamic.ResourceProvider {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = (): Required<pulumi.dynamic.ResourceProvider> => require(implementation)[exportName];
  return {
    check: (olds, news) => load().check(olds, news),
    diff: (id, olds, news) => load().diff(id, olds, news),
    create: (inputs) => load().create(inputs),
    update: (id, olds, news) => load().update(id, olds, news),
    read: (id, props) => load().read(id, props),
    delete: (id, props) => load().delete(id, props),
  };
}
