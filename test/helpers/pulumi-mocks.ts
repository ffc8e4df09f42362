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

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mixin's base takes any arguments
type ComponentClass = new (...args: any[]) => pulumi.ComponentResource;

/**
 * `Base` with its `registerOutputs` calls recorded (the documented hook a
 * component reports its outputs through), so a test can await the values a
 * component registered instead of reading the mock monitor's internals.
 */
export function recordingOutputs<C extends ComponentClass>(
  Base: C,
): { Component: C; outputsOf(component: pulumi.ComponentResource): Promise<unknown> } {
  const seen = new Map<pulumi.ComponentResource, Promise<unknown>>();
  class Recording extends Base {
    protected override registerOutputs(
      outputs?: pulumi.Inputs | Promise<pulumi.Inputs> | pulumi.Output<pulumi.Inputs>,
    ): void {
      // The first call counts, as in the SDK (its own later call, without outputs, is ignored).
      if (!seen.has(this)) seen.set(this, unwrap(pulumi.output(outputs ?? {})));
      super.registerOutputs(outputs);
    }
  }
  return {
    Component: Recording,
    outputsOf(component) {
      const outputs = seen.get(component);
      if (outputs === undefined)
        return Promise.reject(new Error(`${component.constructor.name} registered no outputs`));
      return outputs;
    },
  };
}
