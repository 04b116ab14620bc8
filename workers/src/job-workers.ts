// One Zeebe job worker per task type. Types come from the deployed models and from discovered
// services, so a new labelled Service gets workers without a restart.
import type { Logger } from "pino";
import type { Config } from "./config";
import { handleCall } from "./handlers/call-microservice";
import { handleCompensate } from "./handlers/compensate";
import { failAsIncident, HandlerDeps, WorkerJob } from "./handlers/context";
import { parseTaskType } from "./headers";
import { unsafeNumberPaths } from "./json-values";
import { errorText, redact } from "./redact";
import { endJobSpan, runIn, startJobSpan, tracingEnabled, withoutTraceVariables } from "./tracing";
import { cancelPendingActivation, type ZeebeClient } from "./zeebe";

type ZBWorker = ReturnType<ZeebeClient["createWorker"]>;
const JOB_ACTION_ACKNOWLEDGEMENT = "JOB_ACTION_ACKNOWLEDGEMENT" as const;
export type ExtraHandler = (job: WorkerJob) => Promise<unknown>;

/**
 * The SDK worker's internals this module relies on (@camunda8/sdk 8.8.13, dist/zeebe/lib/ZBWorkerBase.js):
 * - handleJobResponse(res) receives each ActivateJobs response with variables as raw JSON text, adds the
 *   jobs to activeJobs, and parses them losslessly; a job it cannot parse (a number beyond 2^53) is failed
 *   with zero backoff, printed whole to stderr, and its slot is never freed (no drainOne());
 * - activeJobs counts the slots in use; the worker stops polling while activeJobs exceeds 30% of
 *   maxJobsToActivate (MIN_ACTIVE_JOBS_RATIO_BEFORE_ACTIVATING_JOBS).
 */
interface SdkWorkerInternals {
  activeJobs: number;
  handleJobResponse: (res: { jobs: { key: string; variables: string }[] }) => void;
}
const SDK_REACTIVATION_RATIO = 0.3;
const STALL_CHECK_EVERY_MS = 500;

export class JobWorkers {
  private readonly workers = new Map<string, ZBWorker>();
  private readonly running = new Map<string, number>();
  private readonly blockedSince = new Map<string, number>();
  private readonly stallTimer: NodeJS.Timeout;
  private active = 0;
  private stopping = false;

  constructor(
    private readonly zeebe: ZeebeClient,
    private readonly deps: HandlerDeps,
    private readonly config: Pick<Config, "MAX_JOBS_ACTIVE" | "POLL_INTERVAL_MS" | "JOB_TIMEOUT_MS" | "SAGA_PATTERNS" | "JOB_WORKER_STALL_MS">,
    private readonly log: Logger,
    private readonly extra: Record<string, ExtraHandler> = {},
  ) {
    this.stallTimer = setInterval(() => this.watchCapacity(), STALL_CHECK_EVERY_MS);
    this.stallTimer.unref();
  }

  types(): string[] {
    return [...this.workers.keys()].sort();
  }

  activeJobs(): number {
    return this.active;
  }

  /** Task types for every service: its call type, and its compensation type when compensation is on. */
  typesForServices(services: string[]): string[] {
    const compensation = this.config.SAGA_PATTERNS.includes("compensation");
    return services.flatMap((s) => (compensation ? [`call-microservice-${s}`, `compensate-${s}`] : [`call-microservice-${s}`]));
  }

  /**
   * Liveness: task types whose SDK worker has stopped fetching jobs for JOB_WORKER_STALL_MS because it
   * counts slots as busy that no running handler holds (a leak; a restart is the cure).
   */
  stalled(): string[] {
    this.watchCapacity();
    const now = Date.now();
    return [...this.blockedSince]
      .filter(([, since]) => now - since >= this.config.JOB_WORKER_STALL_MS)
      .map(([type]) => type)
      .sort();
  }

  ensure(types: string[]): void {
    if (this.stopping) return;
    for (const type of types) {
      if (this.workers.has(type)) continue;
      const handler = this.handlerFor(type);
      if (!handler) {
        this.log.warn({ type }, "no handler for task type in the models; not subscribing");
        continue;
      }
      // Compensations read only the saga log: variables they cannot parse do not concern them.
      const usesVariables = parseTaskType(type)?.kind !== "compensate";
      const unparseable = new Map<string, string[]>();
      const worker = this.zeebe.createWorker({
        taskType: type,
        maxJobsToActivate: this.config.MAX_JOBS_ACTIVE,
        pollInterval: this.config.POLL_INTERVAL_MS,
        timeout: this.config.JOB_TIMEOUT_MS,
        taskHandler: async (job) => {
          const receivedAt = Date.now();
          const started = performance.now();
          this.active += 1;
          this.running.set(type, (this.running.get(type) ?? 0) + 1);
          let acted = false;
          // What the handler did with the job, for the job's metric and span.
          let outcome = "none";
          const traced = tracingEnabled() ? startJobSpan(job) : undefined;
          const tracked: WorkerJob = {
            ...(job as unknown as WorkerJob),
            // The trace context travels as headers, never in a service's payload or the saga log.
            variables: withoutTraceVariables(job.variables),
            receivedAt,
            complete: (v) => ((acted = true), (outcome = "completed"), job.complete(v as never)),
            fail: (c) => ((acted = true), (outcome = failureOutcome(c.retries, job.retries)), job.fail(c)),
            error: (e) => ((acted = true), (outcome = "bpmn_error"), job.error(e as never)),
          };
          const run = (): Promise<unknown> => {
            const unsafe = unparseable.get(job.key);
            unparseable.delete(job.key);
            if (unsafe && usesVariables) return failAsIncident(tracked, this.deps, unsafeNumbersMessage(unsafe));
            return handler(tracked);
          };
          try {
            return (await (traced ? runIn(traced.ctx, run) : run())) as never;
          } catch (err) {
            if (acted) {
              // The job action itself was refused (e.g. NOT_FOUND: the job timed out and went
              // elsewhere). Nothing more to do here: Zeebe redelivers it, the saga log answers.
              this.log.warn({ err: errorText(err), jobKey: job.key, type }, "job action refused by the gateway");
              this.deps.metrics.jobs.inc({ type, outcome: "action_refused" });
              outcome = "action_refused";
              return JOB_ACTION_ACKNOWLEDGEMENT;
            }
            // Unexpected errors: keep the job alive for a retry rather than crash or drop it.
            // The error's own fields may hold the request or a row (driver errors): its text only.
            this.log.error({ err: errorText(err), jobKey: job.key, type }, "job handler crashed");
            this.deps.metrics.jobs.inc({ type, outcome: "handler_error" });
            outcome = "handler_error";
            return job.fail({
              errorMessage: `worker error: ${redact(String((err as Error)?.message ?? err))}`,
              retries: Math.max(0, job.retries - 1),
              retryBackOff: this.deps.config.BACKOFF_BASE_MS,
            });
          } finally {
            this.active -= 1;
            this.running.set(type, (this.running.get(type) ?? 1) - 1);
            this.deps.metrics.jobDuration.observe({ bpmn_process_id: job.bpmnProcessId, type, outcome }, (performance.now() - started) / 1000);
            if (traced) endJobSpan(traced.span, outcome);
          }
        },
      });
      this.guardVariables(worker, type, unparseable);
      this.workers.set(type, worker);
      this.log.info({ type }, "job worker started");
    }
  }

  /** Stops activating, waits up to drainMs for running jobs, then closes. Returns jobs still running. */
  async stop(drainMs: number): Promise<number> {
    this.stopping = true;
    clearInterval(this.stallTimer);
    const closing = Promise.all([...this.workers.values()].map((w) => w.close()));
    for (const w of this.workers.values()) cancelPendingActivation(w);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closing, new Promise((r) => (timer = setTimeout(r, drainMs)))]);
    clearTimeout(timer);
    return this.active;
  }

  /**
   * Takes the jobs the SDK would fail to parse (numbers a JavaScript number cannot hold exactly) out of
   * its lossless parser before it sees them: their variables become {} and the job is remembered, so the
   * handler turns it into an incident through the SDK's own job.fail (which frees the slot).
   */
  private guardVariables(worker: ZBWorker, type: string, unparseable: Map<string, string[]>): void {
    const internals = worker as unknown as SdkWorkerInternals;
    const original = internals.handleJobResponse;
    if (typeof original !== "function") {
      throw new Error(
        `@camunda8/sdk: ZBWorkerBase.handleJobResponse not found on the ${type} worker; the unsafe-number guard in job-workers.ts must be updated for this SDK version`,
      );
    }
    internals.handleJobResponse = (res) => {
      for (const job of res.jobs) {
        const paths = unsafeNumberPaths(job.variables);
        if (paths.length === 0) continue;
        unparseable.set(job.key, paths);
        job.variables = "{}";
      }
      original(res);
    };
  }

  private watchCapacity(): void {
    const now = Date.now();
    const threshold = this.config.MAX_JOBS_ACTIVE * SDK_REACTIVATION_RATIO;
    for (const [type, w] of this.workers) {
      const held = (w as unknown as SdkWorkerInternals).activeJobs;
      const ours = this.running.get(type) ?? 0;
      const blockedByLeak = held > threshold && ours <= threshold;
      if (!blockedByLeak) this.blockedSince.delete(type);
      else if (!this.blockedSince.has(type)) {
        this.blockedSince.set(type, now);
        this.log.error({ type, slotsHeld: held, handlersRunning: ours }, "job worker holds slots no handler uses and cannot fetch jobs");
      }
    }
  }

  private handlerFor(type: string): ExtraHandler | undefined {
    if (this.extra[type]) return this.extra[type];
    const parsed = parseTaskType(type);
    if (!parsed) return undefined;
    if (parsed.kind === "call") return (job) => handleCall(job, parsed.service, this.deps);
    if (!this.config.SAGA_PATTERNS.includes("compensation")) return undefined;
    return (job) => handleCompensate(job, parsed.service, this.deps);
  }
}

/** A failed job: an incident without retries, a retry used up, or handed back with its retries (an outage, a busy step). */
function failureOutcome(retriesLeft: number, retriesBefore: number): string {
  if (retriesLeft <= 0) return "incident";
  return retriesLeft < retriesBefore ? "failed_retry" : "handed_back";
}

function unsafeNumbersMessage(paths: string[]): string {
  return (
    `the job's variables hold numbers a JavaScript number cannot carry exactly (integers beyond ±2^53, or more than 15 significant digits) at ${paths.join(", ")}; ` +
    "the worker does not call the service with altered values: store such values as strings, then retry the job"
  );
}
