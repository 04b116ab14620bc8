// The worker's contract with whatever deploys it: the variables it reads, the saga patterns with their one
// default, and which task types it serves. The Pulumi components import this module (and only this one),
// so they cannot set a variable the worker does not read or ship a model it cannot serve.
import { configSchema, DEFAULT_SAGA_PATTERNS, SAGA_PATTERNS, SagaPattern } from "./config";
import { parseTaskType } from "./headers";

export { DEFAULT_SAGA_PATTERNS, SAGA_PATTERNS, SagaPattern };

/** Name of an environment variable the worker reads. */
export type WorkerVariable = keyof typeof configSchema.shape;

/** Every environment variable the worker reads, from its config schema. */
export const WORKER_VARIABLES = Object.keys(configSchema.shape) as WorkerVariable[];

/** Whether `name` is a variable the worker reads. */
export function isWorkerVariable(name: string): name is WorkerVariable {
  return Object.prototype.hasOwnProperty.call(configSchema.shape, name);
}

/**
 * What the worker's schema says about one variable's value, or undefined when the worker accepts it.
 * Rules between variables (e.g. OAuth needs a client id) are left to the worker's start-up.
 */
export function workerValueProblem(name: WorkerVariable, value: string): string | undefined {
  const result = configSchema.shape[name].safeParse(value);
  return result.success ? undefined : result.error.issues.map((issue) => issue.message).join("; ");
}

/** Paths of the worker's public API (src/public-api.ts): what an Istio Gateway routes to it, and nothing else. */
export const PUBLIC_API_PATHS = { processInstances: "/api/v1/process-instances", messages: "/api/v1/messages" } as const;

/** The task type of `publish-and-wait` tasks (event streaming). */
export const PUBLISH_AND_WAIT = "publish-and-wait";

/** What decides which task types a worker serves. */
export interface ServedBy {
  sagaPatterns: readonly SagaPattern[];
  eventStreaming: boolean;
}

/**
 * Why the worker would not serve `type`, or undefined when it does: `call-microservice-<service>` always,
 * `compensate-<service>` with the compensation pattern, `publish-and-wait` with event streaming.
 */
export function unservedReason(type: string, by: ServedBy): string | undefined {
  if (type === PUBLISH_AND_WAIT) return by.eventStreaming ? undefined : "event streaming is off (ENABLE_EVENT_STREAMING=false)";
  const parsed = parseTaskType(type);
  if (!parsed) return "it is not a task type of this worker (call-microservice-<service>, compensate-<service>, publish-and-wait)";
  if (parsed.kind === "compensate" && !by.sagaPatterns.includes("compensation")) return "the compensation saga pattern is off";
  return undefined;
}

/**
 * Static job types a BPMN model uses. A FEEL expression (`=...`) is resolved by Zeebe per instance and
 * cannot be known here; it is skipped.
 */
export function taskTypesOf(bpmnXml: string): string[] {
  const types = new Set<string>();
  for (const m of bpmnXml.matchAll(/<zeebe:taskDefinition\b[^>]*?\btype="([^"]+)"/g)) {
    if (!m[1].startsWith("=")) types.add(m[1]);
  }
  return [...types].sort();
}

/** The task types of a model the worker would not serve, each with the reason. */
export function unservedTaskTypes(bpmnXml: string, by: ServedBy): Array<{ type: string; reason: string }> {
  return taskTypesOf(bpmnXml).flatMap((type) => {
    const reason = unservedReason(type, by);
    return reason ? [{ type, reason }] : [];
  });
}
