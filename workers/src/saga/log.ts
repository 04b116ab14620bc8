// The saga log: one row per step (call or compensation) in a process instance, plus one row per attempt.
import { Pool, PoolClient } from "pg";
import { INSERT_OUTBOX_SQL, OutboxEvent, outboxColumns } from "../outbox/event";
import { Batcher, uniqueRounds } from "./batcher";

export type StepKind = "call" | "compensate";
export type StepStatus = "started" | "succeeded" | "failed" | "rejected" | "compensated" | "skipped" | "dead_lettered";

export interface StepRef {
  processInstanceKey: string;
  elementId: string;
  kind: StepKind;
}

export interface StepRow extends StepRef {
  service: string;
  status: StepStatus;
  idempotencyKey: string;
  request: unknown;
  response: unknown;
  compensates: string | null;
  attempts: number;
}

export interface BeginResult {
  /** Set when the step already succeeded (or was compensated/skipped): do not call again. */
  finished?: StepRow;
  /** Number of this attempt (1 for the first delivery). */
  attempt: number;
}

export interface AttemptOutcome {
  status: StepStatus;
  outcome: "succeeded" | "transient" | "rejected" | "dead_lettered" | "skipped" | "unknown_service";
  jobKey: string;
  attempt: number;
  response?: unknown;
  httpStatus?: number;
  detail?: string;
  durationMs?: number;
}

/** Thrown when PostgreSQL cannot be reached: the job is retried later, never dropped. */
export class SagaLogUnavailableError extends Error {}

/** SQLSTATE class 08 (connection), 57P (shutdown), 53 (resources) and socket errors mean unavailable. */
function unavailable(e: unknown): unknown {
  const err = e as { code?: string; message?: string };
  if (!err.code || /^(08|57P|53)/.test(err.code) || /^E[A-Z]+$/.test(err.code)) {
    return new SagaLogUnavailableError(`saga log unavailable: ${err.message ?? String(e)}`);
  }
  return e;
}

const FINAL: StepStatus[] = ["succeeded", "compensated", "skipped"];

interface BeginItem { ref: StepRef; service: string; idempotencyKey: string; request: string; compensates: string | null }
interface FinishItem { ref: StepRef; service: string; o: AttemptOutcome; events: OutboxEvent[] }

type Query = (sql: string, params: unknown[]) => Promise<Record<string, any>[]>;

const refKey = (r: StepRef) => `${r.processInstanceKey}\u0000${r.elementId}\u0000${r.kind}`;

function toRow(r: Record<string, any>): StepRow {
  return {
    processInstanceKey: r.process_instance_key,
    elementId: r.element_id,
    kind: r.kind,
    service: r.service,
    status: r.status,
    idempotencyKey: r.idempotency_key,
    request: r.request,
    response: r.response,
    compensates: r.compensates,
    attempts: r.attempts,
  };
}

export class SagaLog {
  constructor(private readonly pool: Pool) {}

  static connect(url: string): Pool {
    const pool = new Pool({ connectionString: url, max: 20, connectionTimeoutMillis: 2000, query_timeout: 5000, idleTimeoutMillis: 10000 });
    // A server restart errors idle clients; the pool drops them and reconnects on next use.
    pool.on("error", () => undefined);
    return pool;
  }

  private async q(sql: string, params: unknown[], on: Pool | PoolClient = this.pool): Promise<Record<string, any>[]> {
    try {
      return (await on.query(sql, params)).rows;
    } catch (e) {
      throw unavailable(e);
    }
  }

  /** Runs fn in one transaction; without outbox events a single statement needs none. */
  private async tx(events: readonly OutboxEvent[], fn: (q: Query) => Promise<void>): Promise<void> {
    if (events.length === 0) return fn((sql, params) => this.q(sql, params));
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw unavailable(e);
    }
    const ignore = () => undefined; // a session lost between statements fails the next one; never the process
    client.on("error", ignore);
    let broken: Error | undefined;
    try {
      await this.q("begin", [], client);
      await fn((sql, params) => this.q(sql, params, client));
      await this.q(INSERT_OUTBOX_SQL, outboxColumns(events), client);
      await this.q("commit", [], client);
    } catch (e) {
      await client.query("rollback").catch(() => undefined);
      broken = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      client.off("error", ignore);
      client.release(broken);
    }
  }

  /** Writes outbox events that go with no saga-log change (e.g. "step.started"). */
  async recordEvents(events: readonly OutboxEvent[]): Promise<void> {
    if (events.length > 0) await this.q(INSERT_OUTBOX_SQL, outboxColumns(events));
  }

  async ping(): Promise<void> {
    await this.q("select 1", []);
  }

  /**
   * Records the start of an attempt, unless the step is already finished (then returns it).
   * Concurrent calls are batched into one statement (see Batcher).
   */
  begin(ref: StepRef, service: string, idempotencyKey: string, request: unknown, compensates?: string): Promise<BeginResult> {
    return this.beginBatch.submit({ ref, service, idempotencyKey, request: JSON.stringify(request ?? null), compensates: compensates ?? null });
  }

  private readonly beginBatch = new Batcher<BeginItem, BeginResult>(async (items) => {
    const out: BeginResult[] = new Array(items.length);
    for (const round of uniqueRounds(items, (i) => refKey(i.ref))) {
      const col = <T>(f: (i: BeginItem) => T) => round.map((r) => f(r.item));
      // The CTE sees the table as before the statement: finished steps (not updated) come back whole.
      const rows = await this.q(
        `with input as (
           select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[])
             as t(pik, el, kind, service, ikey, request, compensates, idx)
         ), ins as (
           insert into saga_steps (process_instance_key, element_id, kind, service, status, idempotency_key, request, compensates, attempts)
           select pik, el, kind, service, 'started', ikey, request::jsonb, compensates, 1 from input
           on conflict (process_instance_key, element_id, kind) do update
             set attempts = saga_steps.attempts + 1, status = 'started', updated_at = now()
             where saga_steps.status <> all ($9)
           returning process_instance_key, element_id, kind, attempts
         )
         select i.idx, ins.attempts as new_attempts, s.*
         from input i
         left join ins on ins.process_instance_key = i.pik and ins.element_id = i.el and ins.kind = i.kind
         left join saga_steps s on ins.attempts is null and s.process_instance_key = i.pik and s.element_id = i.el and s.kind = i.kind`,
        [col((i) => i.ref.processInstanceKey), col((i) => i.ref.elementId), col((i) => i.ref.kind), col((i) => i.service), col((i) => i.idempotencyKey), col((i) => i.request), col((i) => i.compensates), round.map((r) => r.index), FINAL],
      );
      for (const r of rows) {
        if (r.new_attempts !== null) out[r.idx] = { attempt: r.new_attempts };
        else if (r.process_instance_key) out[r.idx] = { finished: toRow(r), attempt: r.attempts };
        else throw new Error(`saga step ${items[r.idx].ref.processInstanceKey}/${items[r.idx].ref.elementId} vanished`);
      }
    }
    return out;
  });

  async get(ref: StepRef): Promise<StepRow | undefined> {
    const rows = await this.q("select * from saga_steps where process_instance_key = $1 and element_id = $2 and kind = $3", [ref.processInstanceKey, ref.elementId, ref.kind]);
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /**
   * Updates the step and appends the attempt; concurrent calls share one statement. `events` (outbox) are
   * written in the same transaction, so they exist exactly when the change they describe does.
   */
  finish(ref: StepRef, service: string, o: AttemptOutcome, events: OutboxEvent[] = []): Promise<void> {
    return this.finishBatch.submit({ ref, service, o, events });
  }

  private readonly finishBatch = new Batcher<FinishItem, void>(async (items) => {
    for (const round of uniqueRounds(items, (i) => refKey(i.ref))) {
      const col = <T>(f: (i: FinishItem) => T) => round.map((r) => f(r.item));
      await this.tx(round.flatMap((r) => r.item.events), (q) => q(
        `with input as (
           select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::int[], $11::text[], $12::float8[])
             as t(pik, el, kind, status, response, service, job_key, attempt, outcome, http_status, detail, duration_ms)
         ), s as (
           update saga_steps st set status = i.status, response = coalesce(i.response::jsonb, st.response), updated_at = now()
           from input i where st.process_instance_key = i.pik and st.element_id = i.el and st.kind = i.kind
         )
         insert into saga_attempts (process_instance_key, element_id, kind, service, job_key, attempt, outcome, http_status, detail, duration_ms)
         select pik, el, kind, service, job_key, attempt, outcome, http_status, detail, duration_ms from input`,
        [
          col((i) => i.ref.processInstanceKey), col((i) => i.ref.elementId), col((i) => i.ref.kind), col((i) => i.o.status),
          col((i) => (i.o.response === undefined ? null : JSON.stringify(i.o.response))), col((i) => i.service), col((i) => i.o.jobKey),
          col((i) => i.o.attempt), col((i) => i.o.outcome), col((i) => i.o.httpStatus ?? null), col((i) => i.o.detail ?? null), col((i) => i.o.durationMs ?? null),
        ],
      ).then(() => undefined));
    }
    return items.map(() => undefined);
  });

  /** Succeeded calls of a service in a process instance (optionally one element): what a compensation undoes. */
  async succeededCalls(processInstanceKey: string, service: string, elementId?: string): Promise<StepRow[]> {
    const rows = await this.q(
      `select * from saga_steps where process_instance_key = $1 and service = $2 and kind = 'call' and status = 'succeeded'
         and ($3::text is null or element_id = $3) order by created_at`,
      [processInstanceKey, service, elementId ?? null],
    );
    return rows.map(toRow);
  }

  /** Marks undone calls as compensated and the compensation step as succeeded, atomically. */
  async markCompensated(compensation: StepRef, service: string, undone: string[], o: AttemptOutcome, events: OutboxEvent[] = []): Promise<void> {
    await this.tx(events, (q) => q(
      `with c as (
         update saga_steps set status = 'compensated', updated_at = now()
         where process_instance_key = $1 and kind = 'call' and element_id = any ($4)
       ), s as (
         update saga_steps set status = 'succeeded', response = $5, updated_at = now()
         where process_instance_key = $1 and element_id = $2 and kind = $3
       )
       insert into saga_attempts (process_instance_key, element_id, kind, service, job_key, attempt, outcome, http_status, detail, duration_ms)
       values ($1, $2, $3, $6, $7, $8, 'succeeded', $9, $10, $11)`,
      [compensation.processInstanceKey, compensation.elementId, compensation.kind, undone, JSON.stringify(o.response ?? null), service, o.jobKey, o.attempt, o.httpStatus ?? null, o.detail ?? null, o.durationMs ?? null],
    ).then(() => undefined));
  }

  async attempts(ref: StepRef): Promise<{ attempt: number; outcome: string; httpStatus: number | null; detail: string | null }[]> {
    const rows = await this.q(
      "select attempt, outcome, http_status, detail from saga_attempts where process_instance_key = $1 and element_id = $2 and kind = $3 order by id",
      [ref.processInstanceKey, ref.elementId, ref.kind],
    );
    return rows.map((r) => ({ attempt: r.attempt, outcome: r.outcome, httpStatus: r.http_status, detail: r.detail }));
  }
}
