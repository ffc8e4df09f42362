import { LinuxKitError } from "../errors/errors";

import type { MetalDevice } from "./metal-types";

/** What to do about each refusal the Metal API gives. */
const HINTS: Record<number, string> = {
  401: "the API token was refused: set METAL_AUTH_TOKEN (or the authToken input, as a secret) to a valid Metal API token",
  403: "the token may not do this: check the project ID and that the token's user belongs to that project",
  404: "no such device or project: check the ID (the device may have been deleted outside Pulumi)",
  422: "the API rejected the request: check plan, metro, hostname and ipxe_script_url (the plan must be offered in the metro)",
  429: "the API kept rate-limiting the requests: try again later or raise retry.attempts",
};

/** A request the Metal API refused, with the API's own `errors[]` messages. */
export class MetalApiError extends LinuxKitError {
  /** HTTP status, or 0 when the API could not be reached. */
  readonly status: number;
  /** The `errors` the API returned, verbatim (token removed). */
  readonly apiErrors: string[];

  constructor(
    what: string,
    status: number,
    apiErrors: string[],
    details: { hint?: string; cause?: unknown } = {},
  ) {
    const said = apiErrors.length > 0 ? `: ${apiErrors.join("; ")}` : "";
    super("METAL_API", `Metal API ${what} failed with HTTP ${status}${said}`, {
      hint:
        details.hint ??
        HINTS[status] ??
        (status >= 500 ? "the API kept failing: try again later" : undefined),
      cause: details.cause,
    });
    this.name = "MetalApiError";
    this.status = status;
    this.apiErrors = apiErrors;
  }
}

/** Why {@link MetalClient.waitForState} gave up. */
export type MetalWaitFailure = "failed" | "timeout" | "gone";

/** A device that did not reach the wanted state; carries the last device seen. */
export class MetalWaitError extends LinuxKitError {
  readonly reason: MetalWaitFailure;
  readonly deviceId: string;
  readonly device?: MetalDevice;

  constructor(reason: MetalWaitFailure, deviceId: string, want: string[], device?: MetalDevice) {
    const wanted = want.join(" or ");
    const message =
      reason === "gone"
        ? `Metal device ${deviceId} disappeared while waiting for it to be ${wanted}`
        : reason === "failed"
          ? `Metal device ${deviceId} went to state "${device?.state ?? "?"}" while waiting for it to be ${wanted}`
          : `Metal device ${deviceId} was still "${device?.state ?? "?"}" when the wait for ${wanted} timed out`;
    super("METAL_API", message, {
      hint:
        reason === "timeout"
          ? "bare-metal provisioning can take 10 minutes or more: raise the timeout, or check the device's console (SOS)"
          : reason === "failed"
            ? "check that the iPXE script URL is reachable from the machine and boots (see the device's serial console)"
            : "the device was deleted by someone else; run `pulumi refresh`",
    });
    this.name = "MetalWaitError";
    this.reason = reason;
    this.deviceId = deviceId;
    this.device = device;
  }
}
