// What a scenario runs in: a fresh database on the shared PostgreSQL, a gateway peer, the saga services,
// the worker process, the crash controller, the saga driver; and the verdict over all of them.
import * as fs from "fs";
import * as path from "path";
import { GatewayPeer, GatewayPeerOptions } from "../support/gateway-peer";
import { freshDatabase, workflowsDir } from "../support/harness";
import type { PostgresServer } from "../support/servers";
import { Crasher, CrashPlan } from "./crash";
import { PAYLOAD_MARKER, SECRET_MARKER } from "./markers";
import { Random } from "./random";
import { Execution, SagaService, SagaServiceOptions, startSagaService, stepIdOf } from "./saga-services";
import { EndState, SagaRun, SagaSpec, ScriptedSagaDriver } from "./scripted-sagas";
import { TemplateSagaDriver, TemplateSagaRun, TemplateSagaSpec } from "./template-sagas";
import { judgeSaga, SagaOutcome, SagaVerdict } from "./verdict";
import { WorkerLaunch, WorkerProcess } from "./worker-process";

export interface SuiteContext {
  pg: PostgresServer;
  launch: WorkerLaunch;
  seed: number;
  /** Progress lines (stderr of the runner, or nothing under mocha). */
  log(line: string): void;
}

export interface ScenarioResult {
  name: string;
  items: number[];
  sagas: number;
  kills: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  sameKeyRetries: number;
  /** Failed checks beyond the per-saga verdict (events, starts, liveness, leaks...). */
  problems: string[];
  /** The first findings, for the report. */
  details: string[];
  /** Figures worth printing (not asserted). */
  notes: string[];
  seconds: number;
}

export interface Scenario {
  name: string;
  /** Issue 7 items the scenario covers. */
  items: number[];
  /** One line: what the scenario proves. */
  proves: string;
  run(ctx: SuiteContext): Promise<Omit<ScenarioResult, "seconds">>;
}

/** The worker's settings for the suite: short job timeout (recovery after a kill), quick backoffs. */
/** How long a scenario's sagas may take, kills and outages included. */
const DEADLINE_MS = 240_000;

export const WORKER_ENV: Record<string, string> = {
  CAMUNDA_AUTH_STRATEGY: "NONE",
  JOB_TIMEOUT_MS: "6000",
  CALL_TIMEOUT_MS: "2500",
  BACKOFF_BASE_MS: "200",
  BACKOFF_CAP_MS: "2000",
  POLL_INTERVAL_MS: "50",
  // COMPENSATION_ORDER_WAIT_MS: the default (JOB_TIMEOUT_MS + 10 s), so that a compensate job held by a killed
  // worker is back before an earlier step's undo may go ahead (a 5 s window once let one through).
  SHUTDOWN_DRAIN_MS: "2000",
  LOG_LEVEL: "info",
};

export interface WorldOptions {
  name: string;
  services: Record<string, SagaServiceOptions>;
  /** Extra worker environment (streaming, discovery...). */
  env?: Record<string, string>;
  /** Builds DISCOVERY_STATIC_SERVICES from the services unless false (e.g. Kubernetes discovery). */
  staticServices?: boolean;
  /** Seed offset, so scenarios do not share random sequences. */
  salt: number;
  /** Modules the worker process loads first (node -r). */
  preload?: string[];
  /** The gateway peer's mode: scripted (default) or { execute: true } to run the deployed models. */
  peerOptions?: GatewayPeerOptions;
}

export class World {
  readonly random: Random;
  readonly plan = new CrashPlan();
  crasher!: Crasher;
  worker!: WorkerProcess;
  driver!: ScriptedSagaDriver;
  databaseUrl!: string;
  readonly services: SagaService[] = [];
  private readonly stoppers: (() => Promise<unknown>)[] = [];

  private constructor(
    readonly ctx: SuiteContext,
    readonly opts: WorldOptions,
    readonly peer: GatewayPeer,
  ) {
    this.random = new Random(ctx.seed + opts.salt);
  }

  static async create(ctx: SuiteContext, opts: WorldOptions): Promise<World> {
    const peer = await GatewayPeer.start(opts.peerOptions);
    const w = new World(ctx, opts, peer);
    w.stoppers.push(() => peer.stop());
    try {
      for (const [name, o] of Object.entries(opts.services)) {
        // Every service consults the crash plan first: a planned point holds the reply as it requires.
        const svc = await startSagaService(name, {
          ...o,
          onExecute: (exec) => w.crashIfPlanned(exec) ?? o.onExecute?.(exec),
          onReplay: (exec) => w.crashIfPlanned(exec) ?? o.onReplay?.(exec),
        });
        w.services.push(svc);
        w.stoppers.push(() => svc.stop());
      }
      const db = new URL(await freshDatabase(ctx.pg.url, opts.name.replace(/[^a-z0-9]/g, "_")));
      db.password = SECRET_MARKER; // the test server trusts loopback: any password connects
      w.databaseUrl = db.toString();
      w.driver = new ScriptedSagaDriver(peer, w.random);
      return w;
    } catch (err) {
      await w.close();
      throw err;
    }
  }

  /** The hold of a planned crash point this request reaches, if any. */
  private crashIfPlanned(exec: Execution): Promise<void> | undefined {
    const crash = this.plan.take(exec);
    return crash ? this.crasher.crashAt(crash, exec) : undefined;
  }

  service(name: string): SagaService {
    const s = this.services.find((x) => x.name === name);
    if (!s) throw new Error(`no service ${name}`);
    return s;
  }

  workerEnv(): Record<string, string> {
    const statics: Record<string, string> =
      this.opts.staticServices === false ? {} : { DISCOVERY_STATIC_SERVICES: JSON.stringify(Object.fromEntries(this.services.map((s) => [s.name, s.url]))) };
    return {
      ...WORKER_ENV,
      ZEEBE_GRPC_ADDRESS: this.peer.address,
      DATABASE_URL: this.databaseUrl,
      WORKFLOWS_DIR: workflowsDir([]),
      ...statics,
      ...this.opts.env,
    };
  }

  async startWorker(): Promise<WorkerProcess> {
    this.worker = await WorkerProcess.start(this.workerEnv(), this.ctx.launch, { preload: this.opts.preload });
    this.stoppers.push(() => this.worker.stop());
    this.crasher = new Crasher(this.worker, this.databaseUrl, this.plan, (line) => this.ctx.log(`${this.opts.name}: ${line}`));
    return this.worker;
  }

  /** Runs the scripted sagas (starts staggered by `staggerMs`), each until its end state or the deadline. */
  runSagas(specs: SagaSpec[], opts: { deadlineMs?: number; staggerMs?: number } = {}): Promise<SagaRun[]> {
    const unfinished = (spec: SagaSpec): SagaRun => ({ spec, state: "unfinished", completed: [], incidents: [], results: new Map() });
    return this.runAll(
      specs,
      (spec) => spec.sagaId,
      (spec) => this.driver.run(spec),
      unfinished,
      opts,
    );
  }

  /** Runs template sagas on the executing peer, each until its end state or the deadline. */
  runTemplateSagas(
    specs: TemplateSagaSpec[],
    confirm: (sagaId: string) => Promise<void>,
    opts: { deadlineMs?: number; staggerMs?: number } = {},
  ): Promise<TemplateSagaRun[]> {
    const driver = new TemplateSagaDriver(this.peer, confirm);
    const deadline = Date.now() + (opts.deadlineMs ?? DEADLINE_MS);
    return this.runAll(
      specs,
      (spec) => spec.sagaId,
      (spec) => driver.run(spec, deadline),
      (spec) => ({ spec, state: "unfinished" as const }),
      opts,
    );
  }

  /** Follows template sagas whose instances the bridge starts (from trigger events), each until its end state or the deadline. */
  followTemplateSagas(specs: TemplateSagaSpec[], confirm: (sagaId: string) => Promise<void>, opts: { deadlineMs?: number } = {}): Promise<TemplateSagaRun[]> {
    const driver = new TemplateSagaDriver(this.peer, confirm);
    const deadline = Date.now() + (opts.deadlineMs ?? DEADLINE_MS);
    return this.runAll(
      specs,
      (spec) => spec.sagaId,
      (spec) => driver.follow(spec, deadline),
      (spec) => ({ spec, state: "unfinished" as const }),
      opts,
    );
  }

  private async runAll<S, R extends { state: EndState }>(
    specs: S[],
    id: (s: S) => string,
    run: (s: S) => Promise<R>,
    unfinished: (s: S) => R,
    opts: { deadlineMs?: number; staggerMs?: number },
  ): Promise<R[]> {
    const deadline = opts.deadlineMs ?? DEADLINE_MS;
    const runs = specs.map(async (spec, i) => {
      await new Promise((r) => setTimeout(r, i * (opts.staggerMs ?? 0)));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<R>((r) => (timer = setTimeout(() => r(unfinished(spec)), deadline)));
      try {
        const result = await Promise.race([run(spec), late]);
        this.ctx.log(`${this.opts.name}: saga ${id(spec)} ${result.state}`);
        return result;
      } finally {
        clearTimeout(timer);
      }
    });
    const done = await Promise.all(runs);
    await this.crasher?.settled();
    return done;
  }

  /** Resolves once check() holds; rejects after timeoutMs. */
  async until(check: () => boolean | Promise<boolean>, timeoutMs: number, what = "a condition"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${this.opts.name}: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The scenario's figures: the per-saga verdict plus the checks every scenario makes. */
  async verdict(
    name: string,
    items: number[],
    outcomes: SagaOutcome[],
    extra: { problems?: string[]; notes?: string[] } = {},
  ): Promise<Omit<ScenarioResult, "seconds">> {
    const verdicts: SagaVerdict[] = outcomes.map((o) => judgeSaga(o, this.services));
    const problems = [...(extra.problems ?? []), ...(await this.workerProblems())];
    // Problems first: one of them (the worker exited by itself) often explains every unfinished saga after it.
    const details = [...problems, ...verdicts.flatMap((v) => [...v.lost, ...v.duplicates, ...v.outOfOrder])].slice(0, 12);
    return {
      name,
      items,
      sagas: outcomes.length,
      kills: this.worker?.kills ?? 0,
      lost: verdicts.filter((v) => v.lost.length > 0).length,
      duplicates: verdicts.reduce((n, v) => n + v.duplicates.length, 0),
      outOfOrder: verdicts.reduce((n, v) => n + v.outOfOrder.length, 0),
      sameKeyRetries: verdicts.reduce((n, v) => n + v.sameKeyRetries, 0),
      problems,
      details,
      notes: extra.notes ?? [],
    };
  }

  /** Checks on the worker process whatever the scenario: no crash of its own, no unhandled rejection, no leak in its output. */
  async workerProblems(): Promise<string[]> {
    const problems: string[] = [];
    if (this.crasher?.failure) problems.push(`crash controller: ${this.crasher.failure.message}`);
    if (!this.worker) return problems;
    for (const exit of this.worker.unexpectedExits) problems.push(`the worker exited by itself (${exit})`);
    if (this.worker.alive()) {
      const unhandled = await this.worker
        .waitOps()
        .then(() => this.worker.metric("worker_unhandled_rejections_total"))
        .catch((err: Error) => `unreadable (${err.message}: ${String((err as { cause?: unknown }).cause)})`);
      if (unhandled !== 0) problems.push(`worker_unhandled_rejections_total is ${unhandled}`);
    }
    const messages = [...this.peer.failures.map((f) => f.errorMessage), ...this.peer.errors.map((e) => e.errorMessage)].join("\n");
    if (messages.includes(PAYLOAD_MARKER) || messages.includes(SECRET_MARKER))
      problems.push("a payload or the database password appeared in a job failure message sent to Zeebe");
    const out = this.worker.output();
    if (out.includes(PAYLOAD_MARKER)) problems.push("a saga's payload appeared in the worker's output");
    if (out.includes(SECRET_MARKER)) problems.push("the database password appeared in the worker's output");
    return problems;
  }

  /** FAULT_DEBUG_DIR: the worker's output and the peer's records of each scenario are written there. */
  private dumpForDebugging(): void {
    const dir = process.env.FAULT_DEBUG_DIR;
    if (!dir) return;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${this.opts.name}.worker.log`), this.worker?.output() ?? "");
    const peer = {
      failures: this.peer.failures,
      errors: this.peer.errors,
      completions: this.peer.completions.map((c) => ({ ...c, job: { ...c.job, variables: undefined } })),
    };
    fs.writeFileSync(path.join(dir, `${this.opts.name}.peer.json`), JSON.stringify(peer, null, 1));
    const services = this.services.map((s) => ({
      name: s.name,
      exchanges: s.exchanges.map((e) => ({
        ...e.request,
        variables: undefined,
        at: e.call.at,
        endedAt: e.call.endedAt,
        aborted: e.call.aborted,
        replay: e.replay,
        status: e.status,
      })),
    }));
    fs.writeFileSync(path.join(dir, `${this.opts.name}.services.json`), JSON.stringify(services, null, 1));
  }

  async close(): Promise<void> {
    this.dumpForDebugging();
    for (const stop of this.stoppers.reverse()) await stop().catch(() => undefined);
  }
}

/** A saga run as the verdict sees it. */
export function outcomeOf(run: SagaRun, mustNotExecute?: string[]): SagaOutcome {
  return {
    sagaId: run.spec.sagaId,
    expected: run.spec.expected,
    state: run.state,
    completedSteps: run.completed.map((c) => ({
      stepId: stepIdOf(c.service, { sagaId: run.spec.sagaId, item: c.item }),
      result: resultOf(run, c.elementInstanceKey, c.service),
      phase: c.phase,
    })),
    mustNotExecute,
  };
}

function resultOf(run: SagaRun, elementInstanceKey: string, service: string): unknown {
  const vars = run.results.get(elementInstanceKey);
  return vars ? vars[service] : undefined;
}

export type { EndState };
