/** Redfish: a client for BMCs and the sequences that boot images through them (no Pulumi). */
export * from "./redfish-error";
export * from "./redfish-types";
export {
  RedfishClient,
  withRedfish,
  type BootOverride,
  type RedfishConnectOptions,
} from "./redfish-client";
export { login, type RedfishCredentials, type RedfishLogin } from "./redfish-session";
export { awaitTask, type TaskWait } from "./redfish-task";
export {
  RedfishTransport,
  endpointOrigin,
  type RedfishTransportOptions,
} from "./redfish-transport";
export * from "./redfish-provision";
export * from "./machine-readiness";
