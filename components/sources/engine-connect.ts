import type Docker from "dockerode";

import type { Engine } from "./engine";
import { EngineApiClient } from "./engine-api";
import { DockerodeEngine } from "./engine-dockerode";
import { engineAddress } from "./engine-host";

/**
 * The engine DOCKER_HOST names. A local socket or a plain TCP engine gets
 * our own small client; TLS, ssh and Windows named pipes get dockerode,
 * which is loaded only then: it costs ~100 ms and ~200 modules at require
 * time (its gRPC/protobuf buildkit session and docker-modem's ssh2), which
 * a build against a local engine does not need.
 */
export function connectEngine(): Engine {
  const address = engineAddress(process.env);
  if (address.kind !== "dockerode") return new EngineApiClient(address);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Dockerode = require("dockerode") as typeof Docker;
  return new DockerodeEngine(new Dockerode());
}

/** An Engine as is; a dockerode client (what DockerImageSource took before) wrapped. */
export function asEngine(engine: Engine | Docker): Engine {
  return isDockerode(engine) ? new DockerodeEngine(engine) : engine;
}

function isDockerode(engine: Engine | Docker): engine is Docker {
  return "modem" in engine && typeof (engine as Docker).getImage === "function";
}
