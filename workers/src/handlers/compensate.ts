// compensate-<service>: undo what the saga log says the service did in this process instance, newest first.
// Zeebe starts the compensation handlers of a process instance all at once, in no order; the worker keeps
// the reverse order of completion across them: before undoing a step it waits until every call that
// succeeded later in the instance has been undone (or given up), without using up job retries. A later call
// that no compensation job has taken on is waited for only COMPENSATION_ORDER_WAIT_MS from the start of
// compensation in the instance, so a step without a handler never blocks the others for good.
import { backoffMs } from "../backoff";
import { UnknownServiceError } from "../discovery/registry";
import { compensationHeaders, CompensationHeaders } from "../headers";
import { postJson } from "../http-call";
import { idempotencyKey } from "../idempotency";
import type { OutboxEvent } from "../outbox/event";
import type { AttemptOutcome, StepRef, StepRow } from "../saga/log";
import { DEAD_LETTER_EVENT_TYPE } from "../step-events";
import { failForSagaLog, failKeepingRetries, HandlerDeps, JobBudget, jobBudget, stepContext, stringHeaders, WorkerJob } from "./context";

/** How often a held-back undo re-reads the log (undos recorded by this process wake it at once). */
const ORDER_POLL_MS = 250;

type UndoResult =
  | { kind: "done"; undone: StepRow[] }
  /** Out of job time while holding back for later steps (or another delivery's undo): come back later. */
  | { kind: "held"; reason: string; undone: StepRow[] }
  | { kind: "failed"; reason: string; status?: number; remaining: StepRow[]; undone: StepRow[] };

export async function handleCompensate(job: WorkerJob, service: string, deps: HandlerDeps): Promise<unknown> {
  const { config, saga, availability, metrics, events, registry, log } = deps;
  const budget = jobBudget(job, config.JOB_TIMEOUT_MS);
  const h = compensationHeaders(stringHeaders(job.customHeaders), config.CALL_TIMEOUT_MS);
  const ref: StepRef = { processInstanceKey: job.processInstanceKey, elementId: job.elementId, elementInstanceKey: job.elementInstanceKey, kind: "compensate" };
  const ctx = stepContext(job, service);

  try {
    const begun = await availability.run(
      () =>
        saga.begin(ref, {
          service,
          idempotencyKey: idempotencyKey("compensate", job.processInstanceKey, job.elementInstanceKey),
          request: null,
          jobKey: job.key,
          leaseMs: config.JOB_TIMEOUT_MS,
          compensates: h.compensates,
        }),
      budget.holdUntil,
    );
    if (begun.state === "finished") {
      metrics.deduplicated.inc({ service });
      await job.complete({});
      metrics.jobs.inc({ type: job.type, outcome: "completed_from_log" });
      return undefined;
    }
    if (begun.state === "busy")
      return failKeepingRetries(job, deps, `compensation ${job.elementId} is in progress in another delivery`, begun.retryInMs, "step_in_progress");
    // Step events and the dead letter go to the outbox in the transaction that records the outcome.
    const finish = (o: AttemptOutcome, stepEvents: OutboxEvent[] = []) =>
      availability.run(() => saga.finish(ref, begun.attempt, service, o, stepEvents), budget.writeUntil);

    await availability.run(() => saga.startCompensation(job.processInstanceKey), budget.holdUntil);
    const steps = await availability.run(() => saga.undoCandidates(job.processInstanceKey, service, h.compensates), budget.holdUntil);
    if (steps.length === 0) {
      // Nothing this service did in this instance is on record (the step never succeeded): nothing to undo.
      await finish({ status: "skipped", outcome: "skipped", jobKey: job.key, detail: "no succeeded step to compensate" });
      metrics.compensations.inc({ service, outcome: "nothing_to_undo" });
      await job.complete({});
      metrics.jobs.inc({ type: job.type, outcome: "completed" });
      return undefined;
    }

    await availability.run(
      () =>
        saga.recordEvents(
          events.compensationTrigger(
            ctx,
            steps.map((s) => s.elementId),
          ),
        ),
      budget.writeUntil,
    );
    const base = registry.resolve(service);
    const result: UndoResult = base
      ? await undoNewestFirst(job, deps, service, `${base}${h.compensationPath}`, h, steps, budget)
      : { kind: "failed", reason: new UnknownServiceError(service, registry.known()).message, remaining: steps, undone: [] };

    if (result.kind === "done") {
      await finish({ status: "succeeded", outcome: "succeeded", jobKey: job.key });
      metrics.compensations.inc({ service, outcome: "succeeded" });
      await job.complete({});
      metrics.jobs.inc({ type: job.type, outcome: "completed" });
      return undefined;
    }
    if (result.kind === "held") {
      await finish({ status: "failed", outcome: "held_back", jobKey: job.key, detail: result.reason });
      metrics.compensations.inc({ service, outcome: "held_back" });
      return failKeepingRetries(job, deps, `compensation of ${service} held back: ${result.reason}`, config.BACKOFF_BASE_MS, "held_back");
    }

    // A compensation must not be abandoned: every failure is retried while retries remain.
    const retries = Math.max(0, job.retries - 1);
    if (retries > 0) {
      await finish({ status: "failed", outcome: "transient", jobKey: job.key, httpStatus: result.status, detail: result.reason });
      const retryBackOff = backoffMs(begun.attempt, config.BACKOFF_BASE_MS, config.BACKOFF_CAP_MS);
      metrics.retries.inc({ service, reason: "compensation" });
      metrics.compensations.inc({ service, outcome: "failed_retry" });
      log.warn({ jobKey: job.key, service, attempt: begun.attempt, retries, retryBackOff, reason: result.reason }, "compensation failed; will retry");
      await job.fail({ errorMessage: `compensation of ${service} failed: ${result.reason}`, retries, retryBackOff });
      metrics.jobs.inc({ type: job.type, outcome: "failed_retry" });
      return undefined;
    }

    // Out of retries: dead-letter what is left with everything needed to replay it, record it, leave an incident.
    const record = {
      type: DEAD_LETTER_EVENT_TYPE,
      processInstanceKey: job.processInstanceKey,
      bpmnProcessId: job.bpmnProcessId,
      elementId: job.elementId,
      jobKey: job.key,
      taskType: job.type,
      service,
      attempts: begun.attempt,
      reason: result.reason,
      httpStatus: result.status,
      replay: result.remaining.map((s) => ({
        method: "POST",
        url: base ? `${base}${h.compensationPath}` : null,
        path: h.compensationPath,
        headers: { "Idempotency-Key": undoKey(s) },
        body: compensationBody(s),
      })),
      at: new Date().toISOString(),
    };
    // Given up: earlier steps of the instance no longer wait for these.
    await availability.run(() => saga.giveUpUndo(result.remaining), budget.writeUntil);
    // The dead letter is written with the step's dead_lettered status; the outbox relay publishes it.
    await finish({ status: "dead_lettered", outcome: "dead_lettered", jobKey: job.key, httpStatus: result.status, detail: result.reason, response: record }, [
      ...events.deadLetter(job.processInstanceKey, record),
      ...events.step("step.failed", ctx, { compensation: true, deadLettered: true, reason: result.reason }),
    ]);
    metrics.deadLetters.inc({ service });
    metrics.compensations.inc({ service, outcome: "dead_lettered" });
    log.error({ jobKey: job.key, service, attempts: begun.attempt, reason: result.reason }, "compensation out of retries: dead-lettered, incident raised");
    await job.fail({
      errorMessage: `compensation of ${service} failed after ${begun.attempt} attempts (dead-lettered): ${result.reason}`,
      retries: 0,
      retryBackOff: 0,
    });
    metrics.jobs.inc({ type: job.type, outcome: "incident" });
    return undefined;
  } catch (err) {
    return failForSagaLog(job, deps, err, service);
  }
}

/** Undoes the steps (newest first), each once across all deliveries, each after every later step of the instance. */
async function undoNewestFirst(
  job: WorkerJob,
  deps: HandlerDeps,
  service: string,
  url: string,
  h: CompensationHeaders,
  steps: StepRow[],
  budget: JobBudget,
): Promise<UndoResult> {
  const { config, saga, availability, metrics } = deps;
  const undone: StepRow[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    const stepRef: StepRef = {
      processInstanceKey: step.processInstanceKey,
      elementId: step.elementId,
      elementInstanceKey: step.elementInstanceKey,
      kind: "call",
    };
    let waitingFor = "";
    for (;;) {
      const left = budget.callUntil - Date.now();
      if (left <= 0) return { kind: "held", reason: `${step.elementId} waits for ${waitingFor || "time to undo it"}`, undone };
      const later =
        step.completedSeq === null
          ? []
          : await availability.run(() => saga.laterToUndo(step.processInstanceKey, step.completedSeq!, config.COMPENSATION_ORDER_WAIT_MS), budget.callUntil);
      if (later.length > 0) {
        waitingFor = `the undo of later steps ${later.join(", ")}`;
        await saga.waitForUndo(step.processInstanceKey, Math.min(ORDER_POLL_MS, left));
        continue;
      }
      const claim = await availability.run(() => saga.claimUndo(stepRef, config.JOB_TIMEOUT_MS), budget.callUntil);
      if (claim.state === "done") break; // another compensation job undid it
      if (claim.state === "busy") {
        waitingFor = "another delivery undoing it";
        await saga.waitForUndo(step.processInstanceKey, Math.min(claim.retryInMs, ORDER_POLL_MS, left));
        continue;
      }
      const timeoutMs = Math.floor(Math.min(h.timeoutMs, budget.callUntil - Date.now()));
      const res =
        timeoutMs > 0 ? await postJson(url, compensationBody(step), { "Idempotency-Key": undoKey(step) }, timeoutMs, config.RESPONSE_MAX_BYTES) : undefined;
      if (res) metrics.callDuration.observe({ service, kind: "compensate", outcome: res.outcome.kind }, res.durationMs / 1000);
      const failure = res && res.outcome.kind !== "success" ? res.outcome.reason : undefined;
      const ok = res !== undefined && failure === undefined;
      const compensated = ok
        ? deps.events.step("step.compensated", { ...stepContext(job, service), elementId: step.elementId }, { compensationElementId: job.elementId })
        : [];
      await availability.run(
        () =>
          saga.finishUndo(
            stepRef,
            claim.attempt,
            ok,
            { service, jobKey: job.key, httpStatus: res?.status, detail: failure, durationMs: res?.durationMs },
            compensated,
          ),
        budget.writeUntil,
      );
      if (!res) return { kind: "held", reason: `no time left to undo ${step.elementId}`, undone };
      if (failure !== undefined) return { kind: "failed", reason: failure, status: res.status, remaining: steps.slice(i), undone };
      undone.push(step);
      break;
    }
  }
  return { kind: "done", undone };
}

/** The undo of a step has its own key, one per element instance of the step. */
function undoKey(step: StepRow): string {
  return idempotencyKey("compensate", step.processInstanceKey, step.elementInstanceKey);
}

/** What the compensation endpoint receives: the original request and response of the step. */
function compensationBody(step: StepRow): Record<string, unknown> {
  return {
    processInstanceKey: step.processInstanceKey,
    elementId: step.elementId,
    elementInstanceKey: step.elementInstanceKey,
    idempotencyKey: step.idempotencyKey,
    request: step.request,
    response: step.response,
  };
}
