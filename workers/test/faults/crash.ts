// Deterministic crash points: kill -9 of the worker process at a chosen moment of a chosen step, then a restart.
//
// - "after-receipt": the service has executed the request and holds its reply; the worker is killed while
//   it waits for it (the service acted, the worker never learnt the outcome).
// - "before-log-write": the service replies at once, but the test holds a row lock on the step's saga-log row,
//   so the worker's write of the outcome blocks in PostgreSQL; once it is seen waiting on that lock the worker
//   is killed and its blocked statement terminated (the worker knew the outcome and died before recording it).
//
// Crashes are handled one at a time. A request received before the running process was spawned came from a
// process already killed: that crash point is spent without another kill.
import { Client } from "pg";
import type { Execution } from "./saga-services";
import type { WorkerProcess } from "./worker-process";

export type CrashPoint = "after-receipt" | "before-log-write";

export interface CrashRecord {
  label: string;
  point: CrashPoint;
  /** False when the point was reached by a process that had already been killed (no kill of its own). */
  killed: boolean;
}

const BLOCKED_WAIT_MS = 30_000;
/**
 * Statements of the database waiting on a lock: the worker's writes held back by the crasher's row locks,
 * directly or behind another waiter (a row lock's queue shows only its first waiter as blocked by the holder).
 * Nothing but the worker and the crasher uses the scenario's database, so a lock wait there is such a write.
 * (Not filtered on `state`: a backend whose client timed out its query shows "idle" while it still waits.)
 * $2: only those of connections opened before this time (epoch ms), i.e. of worker processes already dead.
 */
const WAITING_ON_LOCKS = `from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'
  and not (pid = any($1::int[])) and backend_start < to_timestamp($2::float8 / 1000)`;

export class Crasher {
  readonly crashes: CrashRecord[] = [];
  private queue: Promise<void> = Promise.resolve();
  /** Backend pids of the connections holding row locks for crash points not handled yet. */
  private readonly lockers = new Set<number>();
  /** The first failure of a crash or restart (the scenario reports it). */
  failure?: Error;

  constructor(
    private readonly worker: WorkerProcess,
    private readonly databaseUrl: string,
    private readonly plan: CrashPlan,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** What a service returns for a request reaching a crash point: a promise that holds the reply as the point requires. */
  crashAt(crash: PlannedCrash, execution: Execution): Promise<void> {
    return crash.point === "after-receipt" ? this.killOnReceipt(execution, crash) : this.killBeforeLogWrite(execution, crash);
  }

  /** A point reached by a process already killed is planned again, for the step's next request (the retry). */
  private record(crash: PlannedCrash, killed: boolean, why = ""): void {
    this.crashes.push({ label: crash.label, point: crash.point, killed });
    if (killed) return;
    const again = this.plan.rearm(crash);
    this.log(`${crash.label} reached by a process already killed${why}${again ? "; armed again for the retry" : ""}`);
  }

  /** Resolves once every crash has been handled (the worker restarted). */
  async settled(): Promise<void> {
    for (let seen: Promise<void> | undefined; seen !== this.queue;) {
      seen = this.queue;
      await seen;
    }
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err) => {
      this.failure ??= err as Error;
    });
  }

  private async kill(label: string): Promise<void> {
    this.log(`kill -9 at ${label}`);
    await this.worker.kill9();
  }

  private async restart(): Promise<void> {
    const t0 = Date.now();
    await this.worker.restart();
    this.log(`worker restarted, serving jobs after ${Date.now() - t0} ms`);
  }

  /** Holds the reply; kills the worker (the reply then goes nowhere) and starts a new one. */
  private killOnReceipt(execution: Execution, crash: PlannedCrash): Promise<void> {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    this.enqueue(async () => {
      try {
        const killed = execution.exchange.at >= this.worker.startedAt && this.worker.alive();
        if (killed) await this.kill(crash.label);
        this.record(crash, killed);
      } finally {
        release();
      }
      if (!this.worker.alive()) await this.restart();
    });
    return hold;
  }

  /**
   * Locks the saga-log row the worker will write the outcome to (the call's row, also for an undo), lets the
   * reply go, waits for the worker's write to block on the lock, kills the worker, ends its blocked statement,
   * and releases the lock. The worker may write several outcomes in one statement, which then waits on one of
   * the rows locked here: a statement blocked by any lock the crasher holds is the write this crash waits for.
   */
  private async killBeforeLogWrite(execution: Execution, crash: PlannedCrash): Promise<void> {
    const rowKey = execution.request.kind === "undo" ? execution.request.callKey! : execution.request.key;
    const locker = new Client({ connectionString: this.databaseUrl });
    try {
      await locker.connect();
      await locker.query("begin");
      const locked = await locker.query("select 1 from saga_steps where kind = 'call' and idempotency_key = $1 for update", [rowKey]);
      const lockerPid = (await locker.query("select pg_backend_pid() as pid")).rows[0].pid as number;
      this.lockers.add(lockerPid);
      this.enqueue(async () => {
        let killed = false;
        const fromRunning = execution.exchange.at >= this.worker.startedAt;
        try {
          if (locked.rowCount === 1 && fromRunning && (await this.waitForBlocked(locker))) {
            await this.kill(crash.label);
            killed = true;
          }
          // A dead process's statement still waits on the lock: end it, so the outcome it carried is never
          // written (PostgreSQL would otherwise run it once the lock is released, client gone or not).
          await locker.query(`select pg_terminate_backend(pid) ${WAITING_ON_LOCKS}`, [
            [...this.lockers],
            this.worker.alive() ? this.worker.startedAt : Date.now(),
          ]);
          this.record(crash, killed, locked.rowCount === 1 ? "" : " (no saga-log row to lock)");
        } finally {
          this.lockers.delete(lockerPid);
          await locker.query("rollback").catch(() => undefined);
          await locker.end().catch(() => undefined);
        }
        if (!this.worker.alive()) await this.restart();
      });
    } catch (err) {
      this.failure ??= err as Error;
      await locker.end().catch(() => undefined);
    }
  }

  /** True once a statement waits on a row lock the crasher holds; false if the worker died meanwhile or never wrote. */
  private async waitForBlocked(locker: Client): Promise<boolean> {
    const deadline = Date.now() + BLOCKED_WAIT_MS;
    while (Date.now() < deadline && this.worker.alive()) {
      const r = await locker.query(`select count(*)::int as n ${WAITING_ON_LOCKS}`, [[...this.lockers], Date.now() + 60_000]);
      if (r.rows[0].n > 0) return true;
      await new Promise((res) => setTimeout(res, 20));
    }
    const waiting = await locker.query(
      "select pid, state, wait_event_type, wait_event, pg_blocking_pids(pid) as blockers, backend_xid, left(query, 80) as q from pg_stat_activity where datname = current_database()",
    );
    this.log(
      `no write blocked by lockers ${[...this.lockers]} (me ${(await locker.query("select pg_backend_pid() p")).rows[0].p}); waiting: ${JSON.stringify(waiting.rows)}`,
    );
    return false;
  }
}

export interface PlannedCrash {
  id: string;
  point: CrashPoint;
  label: string;
  /** How many times the point was reached by a process already killed. */
  missed: number;
}

/** Crash points chosen in advance (by step and kind), each taken by the first request that reaches it. */
export class CrashPlan {
  private readonly points = new Map<string, PlannedCrash>();
  static readonly MAX_MISSES = 3;

  static id(service: string, sagaId: string, kind: "call" | "undo"): string {
    return `${kind} ${service} ${sagaId}`;
  }

  add(service: string, sagaId: string, kind: "call" | "undo", point: CrashPoint): void {
    const id = CrashPlan.id(service, sagaId, kind);
    this.points.set(id, { id, point, label: `${id} (${point})`, missed: 0 });
  }

  size(): number {
    return this.points.size;
  }

  /** The crash point this request reaches, if one is planned (each point is taken once). */
  take(execution: Execution): PlannedCrash | undefined {
    const id = CrashPlan.id(execution.request.service, execution.request.sagaId, execution.request.kind);
    const crash = this.points.get(id);
    if (crash) this.points.delete(id);
    return crash;
  }

  /** Plans a missed point again (a few times at most); true when it was. */
  rearm(crash: PlannedCrash): boolean {
    if (crash.missed + 1 >= CrashPlan.MAX_MISSES) return false;
    this.points.set(crash.id, { ...crash, missed: crash.missed + 1 });
    return true;
  }
}
