// One Zeebe job worker per task type. Types come from the deployed models and from discovered
// services, so a new labelled Service gets workers without a restart.
import type { Logger } from "pino";
import type { Config } from "./config";
import { handleCall } from "./handlers/call-microservice";
import { handleCompensate } from "./handlers/compensate";
import type { HandlerDeps, WorkerJob } from "./handlers/context";
import { parseTaskType } from "./headers";
import { cancelPendingActivation, type ZeebeClient } from "./zeebe";

type ZBWorker = ReturnType<ZeebeClient["createWorker"]>;
const JOB_ACTION_ACKNOWLEDGEMENT = "JOB_ACTION_ACKNOWLEDGEMENT" as const;
export type ExtraHandler = (job: WorkerJob) => Promise<unknown>;

export class JobWorkers {
  private readonly workers = new Map<string, ZBWorker>();
  private active = 0;
  private stopping = false;

  constructor(
    private readonly zeebe: ZeebeClient,
    private readonly deps: HandlerDeps,
    private readonly config: Pick<Config, "MAX_JOBS_ACTIVE" | "POLL_INTERVAL_MS" | "JOB_TIMEOUT_MS" | "SAGA_PATTERNS">,
    private readonly log: Logger,
    private readonly extra: Record<string, ExtraHandler> = {},
  ) {}

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

  ensure(types: string[]): void {
    if (this.stopping) return;
    for (const type of types) {
      if (this.workers.has(type)) continue;
      const handler = this.handlerFor(type);
      if (!handler) {
        this.log.warn({ type }, "no handler for task type in the models; not subscribing");
        continue;
      }
      const worker = this.zeebe.createWorker({
        taskType: type,
        maxJobsToActivate: this.config.MAX_JOBS_ACTIVE,
        pollInterval: this.config.POLL_INTERVAL_MS,
        timeout: this.config.JOB_TIMEOUT_MS,
        taskHandler: async (job) => {
          this.active += 1;
          let acted = false;
          const tracked: WorkerJob = {
            ...(job as unknown as WorkerJob),
            complete: (v) => ((acted = true), job.complete(v as never)),
            fail: (c) => ((acted = true), job.fail(c)),
            error: (e) => ((acted = true), job.error(e as never)),
          };
          try {
            return (await handler(tracked)) as never;
          } catch (err) {
            if (acted) {
              // The job action itself was refused (e.g. NOT_FOUND: the job timed out and went
              // elsewhere). Nothing more to do here: Zeebe redelivers it, the saga log answers.
              this.log.warn({ err: String(err), jobKey: job.key, type }, "job action refused by the gateway");
              this.deps.metrics.jobs.inc({ type, outcome: "action_refused" });
              return JOB_ACTION_ACKNOWLEDGEMENT;
            }
            // Unexpected errors: keep the job alive for a retry rather than crash or drop it.
            this.log.error({ err, jobKey: job.key, type }, "job handler crashed");
            this.deps.metrics.jobs.inc({ type, outcome: "handler_error" });
            return job.fail({ errorMessage: `worker error: ${String((err as Error)?.message ?? err)}`, retries: Math.max(0, job.retries - 1), retryBackOff: this.deps.config.BACKOFF_BASE_MS });
          } finally {
            this.active -= 1;
          }
        },
      });
      this.workers.set(type, worker);
      this.log.info({ type }, "job worker started");
    }
  }

  /** Stops activating, waits up to drainMs for running jobs, then closes. Returns jobs still running. */
  async stop(drainMs: number): Promise<number> {
    this.stopping = true;
    const closing = Promise.all([...this.workers.values()].map((w) => w.close()));
    for (const w of this.workers.values()) cancelPendingActivation(w);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closing, new Promise((r) => (timer = setTimeout(r, drainMs)))]);
    clearTimeout(timer);
    return this.active;
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
