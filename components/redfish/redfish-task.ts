/**
 * Following a Redfish task to its end. A service may answer a long action
 * with 202 Accepted and a task monitor `Location`: a GET of the monitor
 * answers 202 while the task runs and, once it ends, the operation's own
 * answer. A Task resource (in the 202 body or at the monitor) that ends
 * in `Exception`, `Killed` or `Cancelled`, or with `TaskStatus` Critical,
 * is a failure whose `Messages` are the BMC's reasons.
 */
import { RedfishError, bmcSays, describeMessage, extendedInfo } from "./redfish-error";
import { responseError, type RedfishResponse, type RedfishTransport } from "./redfish-transport";

interface RedfishTask {
  "@odata.id"?: string;
  TaskState?: string;
  TaskStatus?: string;
  Messages?: unknown[];
}

const FAILED_STATES = ["Exception", "Killed", "Cancelled", "Interrupted"];
const RUNNING_STATES = [
  "New",
  "Starting",
  "Running",
  "Pending",
  "Stopping",
  "Suspended",
  "Service",
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function isTask(body: unknown): body is RedfishTask {
  return body !== null && typeof body === "object" && "TaskState" in body;
}

function taskFailure(
  endpoint: string,
  doing: string,
  task: RedfishTask,
  monitor: string,
): RedfishError {
  const messages = extendedInfo(task);
  const said = messages.length === 0 ? "(no messages)" : messages.map(describeMessage).join("; ");
  return new RedfishError(
    `${doing}: Redfish task ${task["@odata.id"] ?? monitor} on ${endpoint} ended ${task.TaskState}${task.TaskStatus ? ` (${task.TaskStatus})` : ""}: ${said}`,
    { messages },
  );
}

export interface TaskWait {
  /** Longest wait for the task, in ms. Default 30 minutes. */
  timeoutMs?: number;
  /** Poll interval when the service gives no Retry-After, in ms. Default 1000. */
  pollMs?: number;
}

/**
 * The final answer of an action: `res` itself when it is not a 202, else
 * the task followed to completion. Throws a RedfishError with the BMC's
 * messages when the task fails, and when it does not end in time.
 */
export async function awaitTask(
  t: RedfishTransport,
  headers: Record<string, string>,
  res: RedfishResponse,
  doing: string,
  wait: TaskWait = {},
): Promise<RedfishResponse> {
  if (res.status !== 202) return res;
  const monitor = res.headers.location ?? (isTask(res.body) ? res.body["@odata.id"] : undefined);
  const taskUri = isTask(res.body) ? res.body["@odata.id"] : undefined;
  if (monitor === undefined) return res; // accepted, nothing to follow
  const deadline = Date.now() + (wait.timeoutMs ?? 30 * 60_000);
  let last: RedfishResponse = res;
  for (;;) {
    if (isTask(last.body)) {
      const state = last.body.TaskState ?? "";
      if (FAILED_STATES.includes(state) || last.body.TaskStatus === "Critical") {
        throw taskFailure(t.endpoint, doing, last.body, monitor);
      }
      if (!RUNNING_STATES.includes(state) && last !== res) return last;
    } else if (last !== res && last.status !== 202) {
      if (last.status === 404 && taskUri !== undefined && taskUri !== monitor) {
        // The monitor went away with the task's end: the Task resource says how it ended.
        last = await t.request("GET", taskUri, { headers });
        if (last.status === 200 && isTask(last.body)) continue;
        last = { ...last, status: 404 };
      }
      if (last.status >= 400) throw responseError(t.endpoint, "GET", monitor, last, doing);
      return last;
    }
    if (Date.now() > deadline) {
      throw new RedfishError(
        `${doing}: Redfish task ${monitor} on ${t.endpoint} did not end within ${Math.round((wait.timeoutMs ?? 1_800_000) / 1000)} s (last: ${bmcSays(last.body, "")})`,
      );
    }
    const retryAfter = Number(last.headers["retry-after"]);
    await sleep(
      Number.isFinite(retryAfter) && retryAfter > 0
        ? Math.min(retryAfter * 1000, 10_000)
        : (wait.pollMs ?? 1000),
    );
    last = await t.request("GET", monitor, { headers });
  }
}
