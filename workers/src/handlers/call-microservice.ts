// call-microservice-<service>: POST the job variables to the service, log the step, complete.
import { backoffMs } from "../backoff";
import { BPMN_ERRORS } from "../classify";
import { UnknownServiceError } from "../discovery/registry";
import { callHeaders } from "../headers";
import { postJson } from "../http-call";
import { idempotencyKey } from "../idempotency";
import type { StepRef } from "../saga/log";
import { failForInfrastructure, HandlerDeps, stepContext, stringHeaders, WorkerJob } from "./context";

export async function handleCall(job: WorkerJob, service: string, deps: HandlerDeps): Promise<unknown> {
  const { config, saga, metrics, events, registry, log } = deps;
  const h = callHeaders(stringHeaders(job.customHeaders), service, config.CALL_TIMEOUT_MS);
  const timeoutMs = config.SAGA_PATTERNS.includes("timeout") ? h.timeoutMs : config.CALL_TIMEOUT_MS;
  const ref: StepRef = { processInstanceKey: job.processInstanceKey, elementId: job.elementId, kind: "call" };
  const key = idempotencyKey(job.processInstanceKey, job.elementId, "call");
  const ctx = stepContext(job, service);

  try {
    const begun = await saga.begin(ref, service, key, job.variables);
    deps.health.ok();
    if (begun.finished) {
      // Redelivery of a step that already succeeded (crash or lost completion): answer from the log.
      metrics.deduplicated.inc({ service });
      metrics.jobs.inc({ type: job.type, outcome: "completed_from_log" });
      log.info({ jobKey: job.key, service, elementId: job.elementId, status: begun.finished.status }, "step already done; completing from the saga log");
      return job.complete({ [h.resultVariable]: begun.finished.response });
    }

    const base = registry.resolve(service);
    if (!base) {
      const err = new UnknownServiceError(service, registry.known());
      await saga.finish(ref, service, { status: "failed", outcome: "unknown_service", jobKey: job.key, attempt: begun.attempt, detail: err.message });
      return failTransient(job, deps, service, begun.attempt, err.message);
    }

    await saga.recordEvents(events.step("step.started", ctx, { attempt: begun.attempt }));
    const res = await postJson(`${base}${h.path}`, job.variables, { "Idempotency-Key": key }, timeoutMs);
    metrics.callDuration.observe({ service, kind: "call", outcome: res.outcome.kind }, res.durationMs / 1000);
    const attemptInfo = { jobKey: job.key, attempt: begun.attempt, httpStatus: res.status, durationMs: res.durationMs };

    if (res.outcome.kind === "success") {
      await saga.finish(ref, service, { ...attemptInfo, status: "succeeded", outcome: "succeeded", response: res.body }, [
        ...events.serviceResult(ctx, res.status, res.body),
        ...events.step("step.completed", ctx, { attempt: begun.attempt }),
      ]);
      metrics.jobs.inc({ type: job.type, outcome: "completed" });
      return job.complete({ [h.resultVariable]: res.body });
    }
    if (res.outcome.kind === "business") {
      await saga.finish(ref, service, { ...attemptInfo, status: "rejected", outcome: "rejected", response: res.body, detail: res.outcome.reason }, [
        ...events.serviceResult(ctx, res.status, res.body),
        ...events.step("step.failed", ctx, { attempt: begun.attempt, reason: res.outcome.reason, rejected: true }),
      ]);
      metrics.jobs.inc({ type: job.type, outcome: "bpmn_error" });
      return job.error({
        errorCode: BPMN_ERRORS.businessRejection,
        errorMessage: `${service} rejected the request: ${res.outcome.reason}`,
        variables: { rejection: { service, elementId: job.elementId, status: res.status, body: res.body } },
      });
    }
    await saga.finish(ref, service, { ...attemptInfo, status: "failed", outcome: "transient", detail: res.outcome.reason },
      events.step("step.failed", ctx, { attempt: begun.attempt, reason: res.outcome.reason, rejected: false }));
    return failTransient(job, deps, service, begun.attempt, `${service}: ${res.outcome.reason}`);
  } catch (err) {
    return failForInfrastructure(job, deps, err, service);
  }
}

/** Transient failure: one retry fewer and an exponential backoff (no retries when the "retry" pattern is off). */
function failTransient(job: WorkerJob, deps: HandlerDeps, service: string, attempt: number, message: string): Promise<unknown> {
  const retryEnabled = deps.config.SAGA_PATTERNS.includes("retry");
  const retries = retryEnabled ? Math.max(0, job.retries - 1) : 0;
  const retryBackOff = retries > 0 ? backoffMs(attempt, deps.config.BACKOFF_BASE_MS, deps.config.BACKOFF_CAP_MS) : 0;
  deps.metrics.retries.inc({ service, reason: "transient" });
  deps.metrics.jobs.inc({ type: job.type, outcome: retries > 0 ? "failed_retry" : "incident" });
  deps.log.warn({ jobKey: job.key, service, attempt, retries, retryBackOff, message }, "call failed; job failed");
  return job.fail({ errorMessage: message, retries, retryBackOff });
}
