/**
 * Tells the engine what the plugin is doing: each line shows in
 * `pulumi up`'s output under the resource it concerns (the engine's Log
 * RPC, as `pulumi.log.info` does in a program). The engine's address is
 * the plugin's first argument; the client is made on first use only, so
 * a preview that reports nothing never loads it.
 */
import * as grpc from "@grpc/grpc-js";

type EngineModule = {
  EngineClient: new (addr: string, creds: grpc.ChannelCredentials) => EngineClient;
};
type EngineProto = {
  LogRequest: new () => LogRequest;
  LogSeverity: { INFO: number; WARNING: number };
};

interface LogRequest {
  setSeverity(s: number): void;
  setMessage(m: string): void;
  setUrn(u: string): void;
  setEphemeral(e: boolean): void;
}
interface EngineClient {
  log(req: LogRequest, cb: (err: Error | null) => void): void;
}

let engineAddress: string | undefined;
let client: EngineClient | undefined;

/** The engine's address, from the plugin's command line (flags such as `--logtostderr` skipped). */
export function setEngineAddress(args: string[]): void {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (a === "--tracing") {
      i++;
      continue;
    }
    if (a.startsWith("-")) continue;
    engineAddress = a;
    return;
  }
}

/** Sends one line to the engine as information about `urn`; without an engine, to stderr. */
export function engineLog(urn: string, message: string): Promise<void> {
  if (engineAddress === undefined) {
    process.stderr.write(`${message}\n`);
    return Promise.resolve();
  }
  /* eslint-disable @typescript-eslint/no-require-imports */
  const proto = require("@pulumi/pulumi/proto/engine_pb") as EngineProto;
  if (client === undefined) {
    const rpc = require("@pulumi/pulumi/proto/engine_grpc_pb") as EngineModule;
    client = new rpc.EngineClient(engineAddress, grpc.credentials.createInsecure());
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  const req = new proto.LogRequest();
  req.setSeverity(proto.LogSeverity.INFO);
  req.setMessage(message);
  req.setUrn(urn);
  req.setEphemeral(false);
  const c = client;
  return new Promise((resolve) => c.log(req, () => resolve()));
}
