// The saga log: one row per step (a call, or a compensation job) per element instance, plus one row per attempt.
// A step in progress holds a lease: no other delivery may call it until the lease ends. Outcomes are written
// only by the attempt that holds the step (fenced by its attempt number).
import { EventEmitter } from "events";
import { Pool, PoolClient } from "pg";
import { INSERT_OUTBOX_SQL, OutboxEvent, outboxColumns } from "../outbox/event";
import { Batcher, uniqueRounds } from "./batcher";

export type StepKind = "call" | "compensate";
export type StepStatus = "started" | "succeeded" | "failed" | "rejected" | "compensating" | "compensated" | "compensation_failed" | "skipped" | "dead_lettered";

/** A step: one element instance (a loop or multi-instance iteration is its own) of a process instance. */
export interface StepRef {
  processInstanceKey: string;
  elementId: string;
  elementInstanceKey: string;
  kind: StepKind;
}

export interface StepRow extends StepRef {
  service: string;
  status: StepStatus;
  idempotencyKey: string;
  request: unknown;
  response: unknown;
  httpStatus: number | null;
  compensates: string | null;
  attempts: number;
  /** Position in the order in which calls succeeded (compensation undoes the highest first). */
  completedSeq: number | null;
}

export interface BeginInput {
  service: string;
  /** Used for a new step; a step begun before keeps the key it was first given. */
  idempotencyKey: string;
  request: unknown;
  jobKey: string;
  /** How long the step stays reserved for this attempt (the job timeout). */
  leaseMs: number;
  compensates?: string;
}

export type BeginResult =
  /** This delivery holds the step: call it. */
  | { state: "claimed"; attempt: number; idempotencyKey: string }
  /** The step has an outcome that a redelivery must not change (succeeded, rejected, undone, skipped). */
  | { state: "finished"; row: StepRow }
  /** Another delivery holds the step's lease: try again once it has ended. */
  | { state: "busy"; retryInMs: number };

export interface AttemptOutcome {
  status: StepStatus;
  outcome:
    "succeeded" | "transient" | "rejected" | "dead_lettered" | "skipped" | "unknown_service" | "unstorable_response" | "response_too_large" | "held_back";
  jobKey: string;
  response?: unknown;
  httpStatus?: number;
  detail?: string;
  durationMs?: number;
}

export type UndoClaim = { state: "claimed"; attempt: number } | { state: "done"; status: StepStatus } | { state: "busy"; retryInMs: number };

/** PostgreSQL cannot be written (down, restarting, failed over to a read-only server): an outage, not a job fault. */
export class SagaLogUnavailableError extends Error {}

/** PostgreSQL refused the values of one step (e.g. a string it cannot store): that job fails, nothing else. */
export class SagaLogRejectedError extends Error {}

/** Statuses a redelivered job answers from instead of calling again. */
const FINISHED: StepStatus[] = ["succeeded", "rejected", "compensating", "compensated", "compensation_failed", "skipped"];
/** A step that is busy but whose lease time is unknown is retried after this long. */
const UNKNOWN_LEASE_RETRY_MS = 100;

interface BeginItem {
  ref: StepRef;
  input: BeginInput;
  request: string;
}
interface FinishItem {
  ref: StepRef;
  attempt: number;
  service: string;
  o: AttemptOutcome;
  events: OutboxEvent[];
}

type Query = (sql: string, params: unknown[]) => Promise<Record<string, any>[]>;

const refKey = (r: StepRef) => `${r.processInstanceKey}\u0000${r.elementInstanceKey}\u0000${r.kind}`;

function toRow(r: Record<string, any>): StepRow {
  return {
    processInstanceKey: r.process_instance_key,
    elementId: r.element_id,
    elementInstanceKey: r.element_instance_key,
    kind: r.kind,
    service: r.service,
    status: r.status,
    idempotencyKey: r.idempotency_key,
    request: r.request,
    response: r.response,
    httpStatus: r.http_status,
    compensates: r.compensates,
    attempts: r.attempts,
    completedSeq: r.completed_seq === null || r.completed_seq === undefined ? null : Number(r.completed_seq),
  };
}

/** Connection loss (class 08), shutdown (57P), resources (53), read-only server (25006), socket and client timeouts. */
export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== "string" || code === "") return true;
  return /^(08|57P|53)/.test(code) || code === "25006" || /^E[A-Z]+$/.test(code);
}

/** Class 22 (data exception): the values of the statement, not the server, are at fault. */
const isDataError = (err: unknown): boolean => err instanceof SagaLogRejectedError;

export class SagaLog {
  private readonly undone = new EventEmitter();

  /** `pool`: from SagaLog.connect, whose clients survive a session the server ends (a bare Pool's do not). */
  constructor(private readonly pool: Pool) {
    this.undone.setMaxListeners(0);
  }

  static connect(url: string): Pool {
    const pool = new Pool({ connectionString: url, max: 20, connectionTimeoutMillis: 2000, query_timeout: 5000, idleTimeoutMillis: 10000 });
    // A server restart errors idle clients; the pool drops them and reconnects on next use.
    pool.on("error", () => undefined);
    // A session the server ends (shutdown, failover, pg_terminate_backend) emits 'error' on its client, also
    // while the client is checked out between two statements; unheard, that event ends the process. The next
    // statement on that client fails as unavailable, and the client is then dropped.
    pool.on("connect", (client) => client.on("error", () => undefined));
    return pool;
  }

  private async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (e) {
      throw new SagaLogUnavailableError(`saga log unavailable: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  private async q(sql: string, params: unknown[]): Promise<Record<string, any>[]> {
    const client = await this.connect();
    try {
      const rows = await this.run(client, sql, params);
      client.release();
      return rows;
    } catch (e) {
      // A connection that failed, or that reached a read-only server, is dropped: the next one may reach the new primary.
      client.release(e instanceof SagaLogUnavailableError ? e : undefined);
      throw e;
    }
  }

  /** One statement on a checked-out client, its errors mapped to unavailable / rejected. */
  private async run(client: PoolClient, sql: string, params: unknown[]): Promise<Record<string, any>[]> {
    try {
      return (await client.query(sql, params)).rows;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (isUnavailable(e)) throw new SagaLogUnavailableError(`saga log unavailable: ${err.message ?? String(e)}`);
      if (typeof err.code === "string" && err.code.startsWith("22")) throw new SagaLogRejectedError(`PostgreSQL refused the step's data: ${err.message}`);
      throw e;
    }
  }

  /**
   * Runs fn in one transaction when outbox events go with it (fn's statements, then the events fn returns),
   * else as plain statements. So an event exists exactly when the saga-log change it describes does.
   */
  private async withEvents<T>(hasEvents: boolean, fn: (q: Query) => Promise<{ result: T; events: readonly OutboxEvent[] }>): Promise<T> {
    if (!hasEvents) return (await fn((sql, params) => this.q(sql, params))).result;
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      await this.run(client, "begin", []);
      const { result, events } = await fn((sql, params) => this.run(client, sql, params));
      if (events.length > 0) await this.run(client, INSERT_OUTBOX_SQL, outboxColumns(events));
      await this.run(client, "commit", []);
      return result;
    } catch (e) {
      await client.query("rollback").catch(() => undefined);
      broken = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      client.release(broken);
    }
  }

  /** Writes outbox events that go with no saga-log change (e.g. "step.started"), in one statement. */
  async recordEvents(events: readonly OutboxEvent[]): Promise<void> {
    if (events.length > 0) await this.q(INSERT_OUTBOX_SQL, outboxColumns(events));
  }

  /** Readiness: PostgreSQL answers and accepts writes (a standby or a read-only default is an outage). */
  async ping(): Promise<void> {
    const [r] = await this.q("select pg_is_in_recovery() as standby, current_setting('transaction_read_only') as read_only", []);
    if (r.standby || r.read_only === "on") {
      throw new SagaLogUnavailableError("saga log unavailable: PostgreSQL is read-only (a standby, or default_transaction_read_only is on)");
    }
  }

  /**
   * Claims a step for this delivery (new, failed before, or whose lease ran out), or says why not.
   * Concurrent calls share one statement (see Batcher); a duplicate in the same batch finds the step busy.
   */
  begin(ref: StepRef, input: BeginInput): Promise<BeginResult> {
    return this.beginBatch.submit({ ref, input, request: JSON.stringify(input.request ?? null) });
  }

  private readonly beginBatch = new Batcher<BeginItem, BeginResult>(async (items) => {
    const out: BeginResult[] = new Array(items.length);
    for (const round of uniqueRounds(items, (i) => refKey(i.ref))) {
      const col = <T>(f: (i: BeginItem) => T) => round.map((r) => f(r.item));
      // The final select sees the table as before the statement: a step not claimed comes back as it was.
      const rows = await this.q(
        `with input as (
           select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::int[])
             as t(pik, eik, el, kind, service, ikey, request, compensates, lease_ms, idx)
         ), ins as (
           insert into saga_steps as s (process_instance_key, element_instance_key, element_id, kind, service, status, idempotency_key, request, compensates, attempts, lease_until)
           select pik, eik, el, kind, service, 'started', ikey, request::jsonb, compensates, 1, now() + lease_ms * interval '1 millisecond' from input
           on conflict (process_instance_key, element_instance_key, kind) do update
             set attempts = s.attempts + 1, status = 'started', request = excluded.request, lease_until = excluded.lease_until, updated_at = now()
             where s.status in ('failed', 'dead_lettered') or (s.status = 'started' and (s.lease_until is null or s.lease_until <= now()))
           returning s.process_instance_key, s.element_instance_key, s.kind, s.attempts, s.idempotency_key
         )
         select i.idx, ins.attempts as claimed_attempt, ins.idempotency_key as claimed_key, s.*,
           greatest(0, ceil(extract(epoch from (s.lease_until - now())) * 1000))::int as lease_left_ms
         from input i
         left join ins on ins.process_instance_key = i.pik and ins.element_instance_key = i.eik and ins.kind = i.kind
         left join saga_steps s on ins.attempts is null and s.process_instance_key = i.pik and s.element_instance_key = i.eik and s.kind = i.kind`,
        [
          col((i) => i.ref.processInstanceKey),
          col((i) => i.ref.elementInstanceKey),
          col((i) => i.ref.elementId),
          col((i) => i.ref.kind),
          col((i) => i.input.service),
          col((i) => i.input.idempotencyKey),
          col((i) => i.request),
          col((i) => i.input.compensates ?? null),
          col((i) => Math.max(1, Math.round(i.input.leaseMs))),
          round.map((r) => r.index),
        ],
      );
      for (const r of rows) {
        if (r.claimed_attempt !== null) out[r.idx] = { state: "claimed", attempt: r.claimed_attempt, idempotencyKey: r.claimed_key };
        else if (r.status && FINISHED.includes(r.status)) out[r.idx] = { state: "finished", row: toRow(r) };
        else out[r.idx] = { state: "busy", retryInMs: r.status === "started" && r.lease_left_ms > 0 ? r.lease_left_ms : UNKNOWN_LEASE_RETRY_MS };
      }
    }
    return out;
  }, isDataError);

  /**
   * Records the outcome of the attempt that holds the step, and appends the attempt. Resolves false when the
   * step is no longer held by that attempt (its lease ran out and another delivery took it over). `events`
   * (outbox) are written in the same transaction, and only when the outcome was recorded.
   */
  finish(ref: StepRef, attempt: number, service: string, o: AttemptOutcome, events: OutboxEvent[] = []): Promise<boolean> {
    return this.finishBatch.submit({ ref, attempt, service, o, events });
  }

  private readonly finishBatch = new Batcher<FinishItem, boolean>(async (items) => {
    const out: boolean[] = items.map(() => false);
    for (const round of uniqueRounds(items, (i) => refKey(i.ref))) {
      const col = <T>(f: (i: FinishItem) => T) => round.map((r) => f(r.item));
      const recorded = await this.withEvents(
        round.some((r) => r.item.events.length > 0),
        async (q) => {
          const rows = await q(
            // Completion numbers are drawn in the order the outcomes were submitted (idx), not in the order the
            // update happens to visit the rows: reverse-order compensation relies on them.
            `with input as (
             select t.*, case when t.status = 'succeeded' and t.kind = 'call' then nextval('saga_completion_seq') end as seq
             from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int[], $12::text[], $13::float8[], $14::int[])
               as t(pik, eik, el, kind, attempt, status, response, service, job_key, outcome, http_status, detail, duration_ms, idx)
             order by t.idx
           ), upd as (
             update saga_steps st set status = i.status, response = coalesce(i.response::jsonb, st.response), http_status = coalesce(i.http_status, st.http_status),
               completed_seq = coalesce(i.seq, st.completed_seq),
               lease_until = null, updated_at = now()
             from input i
             where st.process_instance_key = i.pik and st.element_instance_key = i.eik and st.kind = i.kind and st.attempts = i.attempt and st.status = 'started'
             returning i.idx
           ), att as (
             insert into saga_attempts (process_instance_key, element_id, element_instance_key, kind, service, job_key, attempt, outcome, http_status, detail, duration_ms)
             select pik, el, eik, kind, service, job_key, attempt, outcome, http_status, detail, duration_ms from input
           )
           select idx from upd`,
            [
              col((i) => i.ref.processInstanceKey),
              col((i) => i.ref.elementInstanceKey),
              col((i) => i.ref.elementId),
              col((i) => i.ref.kind),
              col((i) => i.attempt),
              col((i) => i.o.status),
              col((i) => (i.o.response === undefined ? null : JSON.stringify(i.o.response))),
              col((i) => i.service),
              col((i) => i.o.jobKey),
              col((i) => i.o.outcome),
              col((i) => i.o.httpStatus ?? null),
              col((i) => i.o.detail ?? null),
              col((i) => i.o.durationMs ?? null),
              round.map((r) => r.index),
            ],
          );
          const done = new Set(rows.map((r) => Number(r.idx)));
          return { result: done, events: round.filter((r) => done.has(r.index)).flatMap((r) => r.item.events) };
        },
      );
      for (const idx of recorded) out[idx] = true;
    }
    return out;
  }, isDataError);

  /** The step of one element instance, or (without elementInstanceKey) the latest of that element. */
  async get(ref: Omit<StepRef, "elementInstanceKey"> & { elementInstanceKey?: string }): Promise<StepRow | undefined> {
    const rows = await this.q(
      `select * from saga_steps where process_instance_key = $1 and element_id = $2 and kind = $3 and ($4::text is null or element_instance_key = $4)
       order by created_at desc limit 1`,
      [ref.processInstanceKey, ref.elementId, ref.kind, ref.elementInstanceKey ?? null],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  async attempts(
    ref: Omit<StepRef, "elementInstanceKey"> & { elementInstanceKey?: string },
  ): Promise<{ attempt: number; outcome: string; httpStatus: number | null; detail: string | null }[]> {
    const rows = await this.q(
      `select attempt, outcome, http_status, detail from saga_attempts
       where process_instance_key = $1 and element_id = $2 and kind = $3 and ($4::text is null or element_instance_key = $4) order by id`,
      [ref.processInstanceKey, ref.elementId, ref.kind, ref.elementInstanceKey ?? null],
    );
    return rows.map((r) => ({ attempt: r.attempt, outcome: r.outcome, httpStatus: r.http_status, detail: r.detail }));
  }

  /** Notes that compensation began in a process instance (first compensation job); idempotent. */
  async startCompensation(processInstanceKey: string): Promise<void> {
    await this.q("insert into saga_compensations (process_instance_key) values ($1) on conflict do nothing", [processInstanceKey]);
  }

  /**
   * Calls of a service in a process instance still to be undone (optionally of one element, every iteration),
   * newest first; calls given up by an earlier compensation are included, so a retried compensation tries them again.
   */
  async undoCandidates(processInstanceKey: string, service: string, elementId?: string): Promise<StepRow[]> {
    const rows = await this.q(
      `select * from saga_steps where process_instance_key = $1 and service = $2 and kind = 'call' and status in ('succeeded', 'compensating', 'compensation_failed')
         and ($3::text is null or element_id = $3) order by completed_seq desc nulls last`,
      [processInstanceKey, service, elementId ?? null],
    );
    return rows.map(toRow);
  }

  /**
   * Calls that succeeded after position `seq` and are still to be undone: a compensation has taken them on
   * (claimed once), a compensation job that covers them has begun and not finished (e.g. it was with a worker
   * that died, and Zeebe hands it out again after its job timeout, however long after the window), or the
   * ordering window since compensation began in the instance is still open.
   */
  async laterToUndo(processInstanceKey: string, seq: number, orderWaitMs: number): Promise<string[]> {
    const rows = await this.q(
      `select s.element_id from saga_steps s left join saga_compensations c on c.process_instance_key = s.process_instance_key
       where s.process_instance_key = $1 and s.kind = 'call' and s.completed_seq > $2 and s.status in ('succeeded', 'compensating')
         and (s.undo_attempts > 0 or c.started_at is null or now() < c.started_at + $3 * interval '1 millisecond'
           or exists (select 1 from saga_steps h
                      where h.process_instance_key = s.process_instance_key and h.service = s.service and h.kind = 'compensate'
                        and h.status in ('started', 'failed') and (h.compensates is null or h.compensates = s.element_id)))
       order by s.completed_seq`,
      [processInstanceKey, seq, orderWaitMs],
    );
    return rows.map((r) => r.element_id);
  }

  /** Reserves the undo of a succeeded call for this compensation attempt (fenced by undo_attempts). */
  async claimUndo(ref: StepRef, leaseMs: number): Promise<UndoClaim> {
    const [claimed] = await this.q(
      `update saga_steps set status = 'compensating', undo_attempts = undo_attempts + 1, lease_until = now() + $4 * interval '1 millisecond', updated_at = now()
       where process_instance_key = $1 and element_instance_key = $2 and kind = $3
         and (status in ('succeeded', 'compensation_failed') or (status = 'compensating' and (lease_until is null or lease_until <= now())))
       returning undo_attempts`,
      [ref.processInstanceKey, ref.elementInstanceKey, ref.kind, Math.max(1, Math.round(leaseMs))],
    );
    if (claimed) return { state: "claimed", attempt: claimed.undo_attempts };
    const [row] = await this.q(
      `select status, greatest(0, ceil(extract(epoch from (lease_until - now())) * 1000))::int as lease_left_ms
       from saga_steps where process_instance_key = $1 and element_instance_key = $2 and kind = $3`,
      [ref.processInstanceKey, ref.elementInstanceKey, ref.kind],
    );
    if (!row || row.status !== "compensating") return { state: "done", status: row?.status ?? "compensated" };
    return { state: "busy", retryInMs: row.lease_left_ms > 0 ? row.lease_left_ms : UNKNOWN_LEASE_RETRY_MS };
  }

  /**
   * Records the outcome of an undo attempt: undone, or back to succeeded for a later attempt. `events` (outbox)
   * are written in the same transaction when the outcome was recorded.
   */
  async finishUndo(
    ref: StepRef,
    undoAttempt: number,
    undone: boolean,
    a: { service: string; jobKey: string; httpStatus?: number; detail?: string; durationMs?: number },
    events: OutboxEvent[] = [],
  ): Promise<boolean> {
    const recorded = await this.withEvents(events.length > 0, async (q) => {
      const rows = await q(
        `with upd as (
           update saga_steps set status = $5, lease_until = null, updated_at = now()
           where process_instance_key = $1 and element_instance_key = $2 and kind = 'call' and undo_attempts = $4 and status = 'compensating'
           returning 1
         ), att as (
           insert into saga_attempts (process_instance_key, element_id, element_instance_key, kind, service, job_key, attempt, outcome, http_status, detail, duration_ms)
           values ($1, $3, $2, 'undo', $6, $7, $4, $8, $9, $10, $11)
         )
         select count(*)::int as n from upd`,
        [
          ref.processInstanceKey,
          ref.elementInstanceKey,
          ref.elementId,
          undoAttempt,
          undone ? "compensated" : "succeeded",
          a.service,
          a.jobKey,
          undone ? "succeeded" : "transient",
          a.httpStatus ?? null,
          a.detail ?? null,
          a.durationMs ?? null,
        ],
      );
      const ok = rows[0].n > 0;
      return { result: ok, events: ok ? events : [] };
    });
    this.undone.emit(ref.processInstanceKey);
    return recorded;
  }

  /** A compensation out of retries gives these calls up (dead-lettered): earlier steps no longer wait for them. */
  async giveUpUndo(refs: StepRef[]): Promise<void> {
    if (refs.length === 0) return;
    await this.q(
      `update saga_steps set status = 'compensation_failed', lease_until = null, updated_at = now()
       where process_instance_key = $1 and kind = 'call' and element_instance_key = any ($2) and status in ('succeeded', 'compensating')`,
      [refs[0].processInstanceKey, refs.map((r) => r.elementInstanceKey)],
    );
    this.undone.emit(refs[0].processInstanceKey);
  }

  /** Resolves after an undo in the instance was recorded by this process, or after ms (other replicas are polled). */
  waitForUndo(processInstanceKey: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.undone.off(processInstanceKey, done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.undone.on(processInstanceKey, done);
    });
  }
}
