// What a handler needs: the job (the SDK's ZeebeJob satisfies this shape) and the worker's services.
import type { Logger } from "pino";
import type { Config } from "../config";
import type { ServiceRegistry } from "../discovery/registry";
import type { Metrics } from "../metrics";
import { redact } from "../redact";
import type { SagaLogAvailability } from "../saga/availability";
import { SagaLog, SagaLogRejectedError, SagaLogUnavailableError } from "../saga/log";
import type { StepContext, StepEvents } from "../step-events";

export interface WorkerJob {
  key: string;
  type: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  elementId: string;
  /** Same for every delivery of one element instance; new for each loop or multi-instance iteration. */
  elementInstanceKey: string;
  retries: number;
  variables: Record<string, unknown>;
  customHeaders: Record<string, unknown>;
  /** When this worker received the job (epoch ms); the job timeout runs from about then. Default: handler start. */
  receivedAt?: number;
  complete(variables?: Record<string, unknown>): Promise<unknown>;
  fail(conf: { errorMessage: string; retries: number; retryBackOff: number }): Promise<unknown>;
  error(e: { errorCode: string; errorMessage: string; variables: Record<string, unknown> }): Promise<unknown>;
}

export type HandlerConfig = Pick<
  Config,
  "CALL_TIMEOUT_MS" | "BACKOFF_BASE_MS" | "BACKOFF_CAP_MS" | "SAGA_PATTERNS" | "JOB_TIMEOUT_MS" | "RESPONSE_MAX_BYTES" | "COMPENSATION_ORDER_WAIT_MS"
>;

export interface HandlerDeps {
  config: HandlerConfig;
  registry: ServiceRegistry;
  saga: SagaLog;
  /** Saga-log outages: jobs wait on PostgreSQL's state instead of failing. */
  availability: SagaLogAvailability;
  metrics: Metrics;
  events: StepEvents;
  log: Logger;
}

/**
 * How a handler spends the job timeout T (Zeebe hands the job to another worker after it):
 * - waits for an unavailable saga log before calling until 0.5 T,
 * - calls (and holds back compensations) until 0.8 T: a call ends before any other delivery can start,
 * - writes the outcome until 0.95 T.
 * A step's lease is T from the moment it was claimed, so it always outlasts this delivery.
 */
export interface JobBudget {
  holdUntil: number;
  callUntil: number;
  writeUntil: number;
}

export function jobBudget(job: WorkerJob, jobTimeoutMs: number): JobBudget {
  const start = job.receivedAt ?? Date.now();
  return { holdUntil: start + 0.5 * jobTimeoutMs, callUntil: start + 0.8 * jobTimeoutMs, writeUntil: start + 0.95 * jobTimeoutMs };
}

export function stepContext(job: WorkerJob, service: string): StepContext {
  return { processInstanceKey: job.processInstanceKey, bpmnProcessId: job.bpmnProcessId, elementId: job.elementId, service, jobKey: job.key };
}

export function stringHeaders(h: Record<string, unknown>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v === undefined || v === null ? undefined : String(v)]));
}

/** A fault a retry cannot fix (the same data gives the same result): an incident at once, with the reason. */
export async function failAsIncident(job: WorkerJob, deps: HandlerDeps, message: string): Promise<unknown> {
  deps.log.warn({ jobKey: job.key, type: job.type, elementId: job.elementId, message }, "job failed without retries: incident");
  await job.fail({ errorMessage: message, retries: 0, retryBackOff: 0 });
  deps.metrics.jobs.inc({ type: job.type, outcome: "incident" });
  return undefined;
}

/** Not the step's fault (an outage, another delivery holding the step): retry later, keeping every retry. */
export async function failKeepingRetries(job: WorkerJob, deps: HandlerDeps, message: string, retryBackOff: number, outcome: string): Promise<unknown> {
  deps.log.info({ jobKey: job.key, type: job.type, elementId: job.elementId, retryBackOff, message }, "job handed back for later; retries kept");
  await job.fail({ errorMessage: message, retries: job.retries, retryBackOff: Math.max(0, Math.round(retryBackOff)) });
  deps.metrics.jobs.inc({ type: job.type, outcome });
  return undefined;
}

/**
 * The saga log failed the handler. Unavailable for longer than the job may wait: hand the job back with
 * its retries and a short backoff (the worker waits on PostgreSQL's state, not on a per-job backoff).
 * Refused the step's data: an incident that says why.
 */
export async function failForSagaLog(job: WorkerJob, deps: HandlerDeps, err: unknown, service: string): Promise<unknown> {
  if (err instanceof SagaLogUnavailableError) {
    deps.metrics.retries.inc({ service, reason: "saga_log_unavailable" });
    return failKeepingRetries(job, deps, redact(String(err.message)), deps.config.BACKOFF_BASE_MS, "failed_infrastructure");
  }
  if (err instanceof SagaLogRejectedError) return failAsIncident(job, deps, `${service}: the saga log cannot record this step: ${redact(err.message)}`);
  throw err;
}
