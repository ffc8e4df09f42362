/**
 * Pulumi's mocks for component tests: every resource registered is
 * recorded, its state is what `state` makes of it, and any provider call
 * is a test failure. Import the component modules after this resolves, as
 * a program would be loaded.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";

/** Installs the mocks; returns the list every registration is pushed to, in order. */
export async function recordResources(
  state: (args: MockResourceArgs) => Record<string, unknown>,
  stack: { project?: string; stack?: string } = {},
): Promise<MockResourceArgs[]> {
  const registered: MockResourceArgs[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push(args);
        return { id: `${args.name}-id`, state: state(args) };
      },
      call(args) {
        throw new Error(`unexpected call ${args.token}`);
      },
    },
    stack.project ?? "project",
    stack.stack ?? "stack",
    false,
  );
  return registered;
}

/** The value of an output, once known. */
export function unwrap<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}
