// The publish-and-wait job: publish an event built from the job, then complete so the process moves on
// to the message catch event (or receive task) that waits for the answer.
// Headers: topic (suffix such as "workflow-events", or a full topic name containing a dot),
// correlationKey (name of the variable whose value is the event key), payloadVariable (optional:
// publish only this variable instead of all).
import type { WorkerJob } from "../handlers/context";
import type { EventBus, TopicNames } from "./bus";
import { traceHeaders } from "../tracing";
import { EVENT_ID_HEADER } from "./event-id";

/** The part of an SDK job this handler reads. */
export type PublishAndWaitJob = Pick<WorkerJob, "key" | "processInstanceKey" | "bpmnProcessId" | "elementId" | "variables" | "customHeaders">;

/** retryable: the bus failed (fail the job with backoff); otherwise the model or its variables are wrong (raise an incident). */
export class PublishAndWaitError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "PublishAndWaitError";
  }
}

function header(job: PublishAndWaitJob, name: string): string | undefined {
  const v = job.customHeaders[name];
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** A full topic name is used as is; a bare suffix must name one of this orchestrator's topics. */
export function resolveTopic(topic: string, topics: TopicNames): string | undefined {
  if (topic.includes(".")) return topic;
  return Object.values(topics).find((full) => full.endsWith(`.${topic}`));
}

/** The variables the job completes with (a type alias, so it fits the SDK's index-signature variables type). */
export type PublishAndWaitResult = {
  publishedEvent: { topic: string; eventId: string; key: string };
};

export async function handlePublishAndWait(job: PublishAndWaitJob, bus: EventBus, topics: TopicNames): Promise<PublishAndWaitResult> {
  const topicHeader = header(job, "topic");
  if (!topicHeader) throw new PublishAndWaitError(`publish-and-wait ${job.elementId}: task header "topic" is missing`, false);
  const topic = resolveTopic(topicHeader, topics);
  if (!topic)
    throw new PublishAndWaitError(`publish-and-wait ${job.elementId}: unknown topic "${topicHeader}"; known: ${Object.values(topics).join(", ")}`, false);

  const keyVariable = header(job, "correlationKey");
  if (!keyVariable) throw new PublishAndWaitError(`publish-and-wait ${job.elementId}: task header "correlationKey" is missing`, false);
  const key = job.variables[keyVariable];
  if (typeof key !== "string" && typeof key !== "number") {
    throw new PublishAndWaitError(`publish-and-wait ${job.elementId}: variable "${keyVariable}" (correlation key) must be a string or number`, false);
  }

  const payloadVariable = header(job, "payloadVariable");
  if (payloadVariable && !(payloadVariable in job.variables)) {
    throw new PublishAndWaitError(`publish-and-wait ${job.elementId}: payload variable "${payloadVariable}" is not set`, false);
  }
  const value = payloadVariable ? job.variables[payloadVariable] : job.variables;

  // The id derives from the job key: a job redelivered after a crash publishes the same id, which consumers de-duplicate.
  const eventId = `job-${job.key}`;
  try {
    await bus.publish(topic, {
      key: String(key),
      value,
      headers: {
        [EVENT_ID_HEADER]: eventId,
        "bpmn-process-id": job.bpmnProcessId,
        "process-instance-key": job.processInstanceKey,
        "element-id": job.elementId,
        ...traceHeaders(),
      },
    });
  } catch (err) {
    throw new PublishAndWaitError(`publish-and-wait ${job.elementId}: publishing to ${topic} failed: ${(err as Error).message}`, true);
  }
  return { publishedEvent: { topic, eventId, key: String(key) } };
}
