/**
 * Errors from a Redfish service. The message names the endpoint, the
 * request and the status, and carries everything the BMC said: the
 * `error.message` and every `@Message.ExtendedInfo` entry (MessageId,
 * Message, Resolution), or the first part of a body that is not JSON.
 * Credentials are never part of it: requests are named by method and URL
 * only, and URLs never carry user information.
 */
import { LinuxKitError } from "../errors/errors";

/** One entry of a Redfish `@Message.ExtendedInfo` list (DMTF Message schema). */
export interface RedfishMessage {
  MessageId?: string;
  Message?: string;
  Resolution?: string;
  Severity?: string;
  MessageSeverity?: string;
}

/** The BMC's own words from an error body (JSON or text), one line. */
export function bmcSays(body: unknown, text: string): string {
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  const messages = extendedInfo(error ?? body);
  const parts: string[] = [];
  const top = error?.message;
  if (typeof top === "string" && top.trim() !== "") parts.push(top.trim());
  parts.push(...messages.map(describeMessage));
  if (parts.length === 0 && text.trim() !== "") {
    const plain = text
      .replace(/<[^>]*>/g, " ")
      .replace(/\s+/g, " ")
      .trim();
    if (plain !== "") parts.push(plain.length > 300 ? `${plain.slice(0, 300)}…` : plain);
  }
  return parts.length === 0 ? "(no message in the answer)" : parts.join("; ");
}

/** The `@Message.ExtendedInfo` (or `Messages`, as a Task has) entries of an object. */
export function extendedInfo(obj: unknown): RedfishMessage[] {
  if (obj === null || typeof obj !== "object") return [];
  const o = obj as Record<string, unknown>;
  const list = o["@Message.ExtendedInfo"] ?? o.Messages;
  return Array.isArray(list)
    ? (list.filter((m) => m && typeof m === "object") as RedfishMessage[])
    : [];
}

/** `Base.1.8.PropertyValueNotInList: The value ... (resolution: ...)`. */
export function describeMessage(m: RedfishMessage): string {
  const id = m.MessageId ?? "(no MessageId)";
  const text = m.Message === undefined ? "" : `: ${m.Message}`;
  const fix =
    m.Resolution === undefined || m.Resolution === "None" ? "" : ` (resolution: ${m.Resolution})`;
  return `${id}${text}${fix}`;
}

/** A request the Redfish service refused or answered with an error. */
export class RedfishError extends LinuxKitError {
  /** HTTP status, or undefined when the service could not be reached. */
  readonly status: number | undefined;
  /** The BMC's messages, as given. */
  readonly messages: RedfishMessage[];

  constructor(
    message: string,
    details: { status?: number; messages?: RedfishMessage[]; hint?: string; cause?: unknown } = {},
  ) {
    super("REDFISH", message, {
      ...(details.hint === undefined ? {} : { hint: details.hint }),
      ...(details.cause === undefined ? {} : { cause: details.cause }),
    });
    this.name = "RedfishError";
    this.status = details.status;
    this.messages = details.messages ?? [];
  }
}
