// What a handler needs: the job (the SDK's ZeebeJob satisfies this shape) and the worker's services.
import type { Logger } from "pino";
import { backoffMs } from "../backoff";
import type { Config } from "../config";
import type { ServiceRegistry } from "../discovery/registry";
import type { Metrics } from "../metrics";
import { errorText, redact } from "../redact";
import { SagaLog, SagaLogUnavailableError } from "../saga/log";
import type { StepContext, StepEvents } from "../step-events";

export interface WorkerJob {
  key: string;
  type: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  elementId: string;
  retries: number;
  variables: Record<string, unknown>;
  customHeaders: Record<string, unknown>;
  complete(variables?: Record<string, unknown>): Promise<unknown>;
  fail(conf: { errorMessage: string; retries: number; retryBackOff: number }): Promise<unknown>;
  error(e: { errorCode: string; errorMessage: string; variables: Record<string, unknown> }): Promise<unknown>;
}

export type HandlerConfig = Pick<Config, "CALL_TIMEOUT_MS" | "BACKOFF_BASE_MS" | "BACKOFF_CAP_MS" | "SAGA_PATTERNS">;

export interface HandlerDeps {
  config: HandlerConfig;
  registry: ServiceRegistry;
  saga: SagaLog;
  metrics: Metrics;
  events: StepEvents;
  log: Logger;
  health: InfraHealth;
}

/** Tracks consecutive saga-log outages, to back off failed jobs and report readiness. */
export class InfraHealth {
  consecutiveFailures = 0;
  lastError?: string;

  ok(): void {
    this.consecutiveFailures = 0;
    this.lastError = undefined;
  }

  failed(err: unknown): number {
    this.consecutiveFailures += 1;
    this.lastError = redact(String((err as Error)?.message ?? err));
    return this.consecutiveFailures;
  }
}

export function stepContext(job: WorkerJob, service: string): StepContext {
  return { processInstanceKey: job.processInstanceKey, bpmnProcessId: job.bpmnProcessId, elementId: job.elementId, service, jobKey: job.key };
}

export function stringHeaders(h: Record<string, unknown>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v === undefined || v === null ? undefined : String(v)]));
}

/**
 * The saga log is down: fail the job for a later retry WITHOUT using up its retries (the step
 * itself did not fail), with a growing backoff, so no job is lost while PostgreSQL is away.
 */
export async function failForInfrastructure(job: WorkerJob, deps: HandlerDeps, err: unknown, service: string): Promise<unknown> {
  if (!(err instanceof SagaLogUnavailableError)) throw err;
  const n = deps.health.failed(err);
  const retryBackOff = backoffMs(n, deps.config.BACKOFF_BASE_MS, deps.config.BACKOFF_CAP_MS);
  deps.metrics.retries.inc({ service, reason: "saga_log_unavailable" });
  deps.metrics.jobs.inc({ type: job.type, outcome: "failed_infrastructure" });
  deps.log.warn({ jobKey: job.key, type: job.type, retryBackOff, err: errorText(err) }, "saga log unavailable; job failed for retry");
  return job.fail({ errorMessage: redact(String((err as Error).message)), retries: job.retries, retryBackOff });
}
