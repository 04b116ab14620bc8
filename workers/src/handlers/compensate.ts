// compensate-<service>: undo what the saga log says the service did in this process instance.
import { backoffMs } from "../backoff";
import { UnknownServiceError } from "../discovery/registry";
import { compensationHeaders } from "../headers";
import { postJson } from "../http-call";
import { idempotencyKey } from "../idempotency";
import type { StepRef, StepRow } from "../saga/log";
import { DEAD_LETTER_EVENT_TYPE } from "../step-events";
import { failForInfrastructure, HandlerDeps, stepContext, stringHeaders, WorkerJob } from "./context";

export async function handleCompensate(job: WorkerJob, service: string, deps: HandlerDeps): Promise<unknown> {
  const { config, saga, metrics, events, registry, log } = deps;
  const h = compensationHeaders(stringHeaders(job.customHeaders), config.CALL_TIMEOUT_MS);
  const ref: StepRef = { processInstanceKey: job.processInstanceKey, elementId: job.elementId, kind: "compensate" };
  const ctx = stepContext(job, service);

  try {
    const begun = await saga.begin(ref, service, idempotencyKey(job.processInstanceKey, job.elementId, "compensate"), null, h.compensates);
    deps.health.ok();
    if (begun.finished) {
      metrics.deduplicated.inc({ service });
      metrics.jobs.inc({ type: job.type, outcome: "completed_from_log" });
      return job.complete({});
    }
    const steps = await saga.succeededCalls(job.processInstanceKey, service, h.compensates);
    if (steps.length === 0) {
      // Nothing this service did in this instance is on record (the step never succeeded): nothing to undo.
      await saga.finish(ref, service, { status: "skipped", outcome: "skipped", jobKey: job.key, attempt: begun.attempt, detail: "no succeeded step to compensate" });
      metrics.compensations.inc({ service, outcome: "nothing_to_undo" });
      metrics.jobs.inc({ type: job.type, outcome: "completed" });
      return job.complete({});
    }

    await saga.recordEvents(events.compensationTrigger(ctx, steps.map((s) => s.elementId)));
    const base = registry.resolve(service);
    const failure = base ? await undoAll(base, h.compensationPath, h.timeoutMs, steps, deps, service) : { reason: new UnknownServiceError(service, registry.known()).message };

    if (!failure) {
      await saga.markCompensated(ref, service, steps.map((s) => s.elementId), { status: "succeeded", outcome: "succeeded", jobKey: job.key, attempt: begun.attempt },
        steps.flatMap((s) => events.step("step.compensated", { ...ctx, elementId: s.elementId }, { compensationElementId: job.elementId })));
      metrics.compensations.inc({ service, outcome: "succeeded" });
      metrics.jobs.inc({ type: job.type, outcome: "completed" });
      return job.complete({});
    }

    // A compensation must not be abandoned: every failure is retried while retries remain.
    const retries = Math.max(0, job.retries - 1);
    if (retries > 0) {
      await saga.finish(ref, service, { status: "failed", outcome: "transient", jobKey: job.key, attempt: begun.attempt, httpStatus: failure.status, detail: failure.reason });
      const retryBackOff = backoffMs(begun.attempt, config.BACKOFF_BASE_MS, config.BACKOFF_CAP_MS);
      metrics.retries.inc({ service, reason: "compensation" });
      metrics.compensations.inc({ service, outcome: "failed_retry" });
      metrics.jobs.inc({ type: job.type, outcome: "failed_retry" });
      log.warn({ jobKey: job.key, service, attempt: begun.attempt, retries, retryBackOff, reason: failure.reason }, "compensation failed; will retry");
      return job.fail({ errorMessage: `compensation of ${service} failed: ${failure.reason}`, retries, retryBackOff });
    }

    // Out of retries: dead-letter it with everything needed to replay, record it, leave an incident.
    const record = {
      type: DEAD_LETTER_EVENT_TYPE,
      processInstanceKey: job.processInstanceKey,
      bpmnProcessId: job.bpmnProcessId,
      elementId: job.elementId,
      jobKey: job.key,
      taskType: job.type,
      service,
      attempts: begun.attempt,
      reason: failure.reason,
      httpStatus: failure.status,
      replay: steps.map((s) => ({
        method: "POST",
        url: base ? `${base}${h.compensationPath}` : null,
        path: h.compensationPath,
        headers: { "Idempotency-Key": compensationKey(s) },
        body: compensationBody(s),
      })),
      at: new Date().toISOString(),
    };
    // The dead letter is written with the step's new status, in one transaction; the outbox relay publishes it.
    await saga.finish(ref, service, { status: "dead_lettered", outcome: "dead_lettered", jobKey: job.key, attempt: begun.attempt, httpStatus: failure.status, detail: failure.reason, response: record }, [
      ...events.deadLetter(job.processInstanceKey, record),
      ...events.step("step.failed", ctx, { compensation: true, deadLettered: true, reason: failure.reason }),
    ]);
    metrics.deadLetters.inc({ service });
    metrics.compensations.inc({ service, outcome: "dead_lettered" });
    metrics.jobs.inc({ type: job.type, outcome: "incident" });
    log.error({ jobKey: job.key, service, attempts: begun.attempt, reason: failure.reason }, "compensation out of retries: dead-lettered, incident raised");
    return job.fail({ errorMessage: `compensation of ${service} failed after ${begun.attempt} attempts (dead-lettered): ${failure.reason}`, retries: 0, retryBackOff: 0 });
  } catch (err) {
    return failForInfrastructure(job, deps, err, service);
  }
}

function compensationKey(step: StepRow): string {
  return idempotencyKey(step.processInstanceKey, step.elementId, "compensate");
}

/** What the compensation endpoint receives: the original request and response of the step. */
function compensationBody(step: StepRow): Record<string, unknown> {
  return {
    processInstanceKey: step.processInstanceKey,
    elementId: step.elementId,
    idempotencyKey: step.idempotencyKey,
    request: step.request,
    response: step.response,
  };
}

async function undoAll(base: string, path: string, timeoutMs: number, steps: StepRow[], deps: HandlerDeps, service: string): Promise<{ reason: string; status?: number } | undefined> {
  for (const step of steps) {
    const res = await postJson(`${base}${path}`, compensationBody(step), { "Idempotency-Key": compensationKey(step) }, timeoutMs);
    deps.metrics.callDuration.observe({ service, kind: "compensate", outcome: res.outcome.kind }, res.durationMs / 1000);
    if (res.outcome.kind !== "success") return { reason: res.outcome.reason, status: res.status };
  }
  return undefined;
}
