// call-microservice-<service>: POST the job variables to the service, log the step, complete.
import { backoffMs } from "../backoff";
import { BPMN_ERRORS } from "../classify";
import { UnknownServiceError } from "../discovery/registry";
import { callHeaders, CallHeaders } from "../headers";
import { postJson } from "../http-call";
import { idempotencyKey } from "../idempotency";
import { describeUnstorable, unstorableStrings } from "../json-values";
import type { OutboxEvent } from "../outbox/event";
import type { AttemptOutcome, StepRef, StepRow } from "../saga/log";
import { failAsIncident, failForSagaLog, failKeepingRetries, HandlerDeps, jobBudget, stepContext, stringHeaders, WorkerJob } from "./context";

/** Jitter added to a wait on another delivery's lease, so waiters do not all come back at once. */
const LEASE_JITTER_MS = 100;

export async function handleCall(job: WorkerJob, service: string, deps: HandlerDeps): Promise<unknown> {
  const { config, saga, availability, metrics, events, registry } = deps;
  const budget = jobBudget(job, config.JOB_TIMEOUT_MS);
  const h = callHeaders(stringHeaders(job.customHeaders), service, config.CALL_TIMEOUT_MS);
  const requestedTimeoutMs = config.SAGA_PATTERNS.includes("timeout") ? h.timeoutMs : config.CALL_TIMEOUT_MS;
  const ref: StepRef = { processInstanceKey: job.processInstanceKey, elementId: job.elementId, elementInstanceKey: job.elementInstanceKey, kind: "call" };
  const ctx = stepContext(job, service);

  const unstorable = unstorableStrings(job.variables);
  if (unstorable.length > 0) {
    return failAsIncident(
      job,
      deps,
      `${service}: the job's variables cannot be recorded in the saga log: ${describeUnstorable(unstorable)}; the service was not called`,
    );
  }

  try {
    const begun = await availability.run(
      () =>
        saga.begin(ref, {
          service,
          idempotencyKey: idempotencyKey("call", job.processInstanceKey, job.elementInstanceKey),
          request: job.variables,
          jobKey: job.key,
          leaseMs: config.JOB_TIMEOUT_MS,
        }),
      budget.holdUntil,
    );
    if (begun.state === "finished") return answerFromLog(job, deps, service, h, begun.row);
    if (begun.state === "busy") {
      return failKeepingRetries(
        job,
        deps,
        `${service}: step ${job.elementId} is in progress in another delivery`,
        begun.retryInMs + Math.random() * LEASE_JITTER_MS,
        "step_in_progress",
      );
    }
    // Step events go to the outbox in the transaction that records the outcome (none when streaming is off).
    const finish = (o: AttemptOutcome, stepEvents: OutboxEvent[] = []) =>
      availability.run(() => saga.finish(ref, begun.attempt, service, o, stepEvents), budget.writeUntil);

    const base = registry.resolve(service);
    if (!base) {
      const err = new UnknownServiceError(service, registry.known());
      await finish({ status: "failed", outcome: "unknown_service", jobKey: job.key, detail: err.message });
      return failTransient(job, deps, service, begun.attempt, err.message);
    }
    // The call ends before the job timeout, so no other delivery can start while it is open.
    const timeoutMs = Math.floor(Math.min(requestedTimeoutMs, budget.callUntil - Date.now()));
    if (timeoutMs <= 0) {
      await finish({ status: "failed", outcome: "transient", jobKey: job.key, detail: "no time left before the job timeout" });
      return failKeepingRetries(job, deps, `${service}: no time left to call before the job timeout`, config.BACKOFF_BASE_MS, "failed_infrastructure");
    }

    await availability.run(() => saga.recordEvents(events.step("step.started", ctx, { attempt: begun.attempt })), budget.writeUntil);
    const res = await postJson(`${base}${h.path}`, job.variables, { "Idempotency-Key": begun.idempotencyKey }, timeoutMs, config.RESPONSE_MAX_BYTES);
    metrics.callDuration.observe({ service, kind: "call", outcome: res.outcome.kind }, res.durationMs / 1000);
    const attemptInfo = { jobKey: job.key, httpStatus: res.status, durationMs: res.durationMs };

    if (res.outcome.kind !== "transient") {
      // Success or rejection: the service acted, and its reply must be recorded and handed to Zeebe whole.
      const problem = replyProblem(res.bodyTooLarge, res.body, { [h.resultVariable]: res.body }, config.RESPONSE_MAX_BYTES);
      if (problem) {
        await finish(
          { ...attemptInfo, status: "failed", outcome: problem.outcome, detail: problem.message },
          events.step("step.failed", ctx, { attempt: begun.attempt, reason: problem.outcome, rejected: false }),
        );
        return failAsIncident(job, deps, `${service} answered HTTP ${res.status}, but ${problem.message}`);
      }
    }

    if (res.outcome.kind === "success") {
      await finish({ ...attemptInfo, status: "succeeded", outcome: "succeeded", response: res.body }, [
        ...events.serviceResult(ctx, res.status, res.body),
        ...events.step("step.completed", ctx, { attempt: begun.attempt }),
      ]);
      await job.complete({ [h.resultVariable]: res.body });
      metrics.jobs.inc({ type: job.type, outcome: "completed" });
      return undefined;
    }
    if (res.outcome.kind === "business") {
      await finish({ ...attemptInfo, status: "rejected", outcome: "rejected", response: res.body, detail: res.outcome.reason }, [
        ...events.serviceResult(ctx, res.status, res.body),
        ...events.step("step.failed", ctx, { attempt: begun.attempt, reason: res.outcome.reason, rejected: true }),
      ]);
      return throwRejection(job, deps, service, res.status ?? null, res.body, res.outcome.reason);
    }
    await finish(
      { ...attemptInfo, status: "failed", outcome: "transient", detail: res.outcome.reason },
      events.step("step.failed", ctx, { attempt: begun.attempt, reason: res.outcome.reason, rejected: false }),
    );
    return failTransient(job, deps, service, begun.attempt, `${service}: ${res.outcome.reason}`);
  } catch (err) {
    return failForSagaLog(job, deps, err, service);
  }
}

/** Why a reply cannot be recorded or completed, if it cannot. */
function replyProblem(
  tooLarge: boolean | undefined,
  body: unknown,
  completion: Record<string, unknown>,
  maxBytes: number,
): { outcome: AttemptOutcome["outcome"]; message: string } | undefined {
  const tooLargeMessage = `its reply is larger than RESPONSE_MAX_BYTES (${maxBytes} bytes; a CompleteJob must stay under the gateway's message limit)`;
  if (tooLarge) return { outcome: "response_too_large", message: tooLargeMessage };
  const unstorable = unstorableStrings(body);
  if (unstorable.length > 0)
    return { outcome: "unstorable_response", message: `its reply cannot be recorded in the saga log: ${describeUnstorable(unstorable)}` };
  if (Buffer.byteLength(JSON.stringify(completion)) > maxBytes) return { outcome: "response_too_large", message: tooLargeMessage };
  return undefined;
}

/** A redelivery of a step with a recorded outcome gets that outcome again, without a call. */
async function answerFromLog(job: WorkerJob, deps: HandlerDeps, service: string, h: CallHeaders, row: StepRow): Promise<unknown> {
  deps.metrics.deduplicated.inc({ service });
  deps.log.info({ jobKey: job.key, service, elementId: job.elementId, status: row.status }, "step already done; answering from the saga log");
  if (row.status === "rejected")
    return throwRejection(job, deps, service, row.httpStatus, row.response, row.httpStatus ? `HTTP ${row.httpStatus}` : "rejected");
  await job.complete({ [h.resultVariable]: row.response });
  deps.metrics.jobs.inc({ type: job.type, outcome: "completed_from_log" });
  return undefined;
}

async function throwRejection(job: WorkerJob, deps: HandlerDeps, service: string, status: number | null, body: unknown, reason: string): Promise<unknown> {
  await job.error({
    errorCode: BPMN_ERRORS.businessRejection,
    errorMessage: `${service} rejected the request: ${reason}`,
    variables: { rejection: { service, elementId: job.elementId, status, body } },
  });
  deps.metrics.jobs.inc({ type: job.type, outcome: "bpmn_error" });
  return undefined;
}

/** Transient failure: one retry fewer and an exponential backoff (no retries when the "retry" pattern is off). */
async function failTransient(job: WorkerJob, deps: HandlerDeps, service: string, attempt: number, message: string): Promise<unknown> {
  const retryEnabled = deps.config.SAGA_PATTERNS.includes("retry");
  const retries = retryEnabled ? Math.max(0, job.retries - 1) : 0;
  const retryBackOff = retries > 0 ? backoffMs(attempt, deps.config.BACKOFF_BASE_MS, deps.config.BACKOFF_CAP_MS) : 0;
  deps.metrics.retries.inc({ service, reason: "transient" });
  deps.log.warn({ jobKey: job.key, service, attempt, retries, retryBackOff, message }, "call failed; job failed");
  await job.fail({ errorMessage: message, retries, retryBackOff });
  deps.metrics.jobs.inc({ type: job.type, outcome: retries > 0 ? "failed_retry" : "incident" });
  return undefined;
}
