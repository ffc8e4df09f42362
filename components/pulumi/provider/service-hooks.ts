/**
 * Two things `@pulumi/pulumi/provider`'s main() leaves out, added to the
 * gRPC service it registers: Configure's values (it acknowledges the call
 * and drops them) and DiffResponse's detailed diff (it sends `replaces`
 * only). Both wrap the handler main() installed and then defer to it.
 */
import * as grpc from "@grpc/grpc-js";

import type { PropertyDiff } from "./detailed-diff";
import { providerSettings, type ProviderSettings } from "./provider-config";
import { unwrapSecrets } from "./secrets";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Handler = (call: any, callback: (err: unknown, resp?: any, metadata?: any) => void) => void;
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface Hooks {
  configure(settings: ProviderSettings): void;
  takeDetailedDiff(urn: string): Record<string, PropertyDiff> | undefined;
}

/** Call before main(): wraps the provider service's Configure and Diff handlers. */
export function installServiceHooks(hooks: Hooks): void {
  /* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
  const provproto = require("@pulumi/pulumi/proto/provider_pb") as any;
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service: grpc.ServiceDefinition, impl: any) {
    if (service["configure"] !== undefined && service["diff"] !== undefined) {
      const configure = (impl.configure as Handler).bind(impl);
      const diff = (impl.diff as Handler).bind(impl);
      const wrapped = Object.create(impl) as Record<string, Handler>;
      wrapped["configure"] = (call, callback) => {
        const req = call.request;
        const args = req.hasArgs() ? (req.getArgs().toJavaScript() as Record<string, unknown>) : {};
        const vars: Record<string, unknown> = {};
        req.getVariablesMap().forEach((v: string, k: string) => (vars[k] = v));
        hooks.configure(providerSettings({ ...vars, ...unwrapSecrets(args).plain }));
        configure(call, callback);
      };
      wrapped["diff"] = (call, callback) => {
        diff(call, (err, resp, metadata) => {
          const d = hooks.takeDetailedDiff(call.request.getUrn());
          if (err === null || err === undefined) {
            if (resp !== undefined && d !== undefined) {
              const map = resp.getDetaileddiffMap();
              for (const [k, v] of Object.entries(d)) {
                const pd = new provproto.PropertyDiff();
                pd.setKind(v.kind);
                pd.setInputdiff(v.inputDiff);
                map.set(k, pd);
              }
              resp.setHasdetaileddiff(true);
              resp.setDiffsList(Object.keys(d));
            }
          }
          callback(err, resp, metadata);
        });
      };
      return addService.call(this, service, wrapped as any);
    }
    return addService.call(this, service, impl);
  };
  /* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
}
