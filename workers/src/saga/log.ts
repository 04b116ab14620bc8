// The saga log: one row per step (call or compensation) in a process instance, plus one row per attempt.
import { Pool } from "pg";

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

const FINAL: StepStatus[] = ["succeeded", "compensated", "skipped"];

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

  private async q(sql: string, params: unknown[]): Promise<Record<string, any>[]> {
    try {
      return (await this.pool.query(sql, params)).rows;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      // SQLSTATE class 08 (connection), 57P (shutdown), 53 (resources) and socket errors: unavailable.
      if (!err.code || /^(08|57P|53)/.test(err.code) || /^E[A-Z]+$/.test(err.code)) {
        throw new SagaLogUnavailableError(`saga log unavailable: ${err.message ?? String(e)}`);
      }
      throw e;
    }
  }

  async ping(): Promise<void> {
    await this.q("select 1", []);
  }

  /**
   * Records the start of an attempt, unless the step is already finished. One round trip on
   * the happy path: the upsert does nothing for a finished step and we then read it back.
   */
  async begin(ref: StepRef, service: string, idempotencyKey: string, request: unknown, compensates?: string): Promise<BeginResult> {
    const rows = await this.q(
      `insert into saga_steps (process_instance_key, element_id, kind, service, status, idempotency_key, request, compensates, attempts)
       values ($1, $2, $3, $4, 'started', $5, $6, $7, 1)
       on conflict (process_instance_key, element_id, kind) do update
         set attempts = saga_steps.attempts + 1, status = 'started', updated_at = now()
         where saga_steps.status <> all ($8)
       returning attempts`,
      [ref.processInstanceKey, ref.elementId, ref.kind, service, idempotencyKey, JSON.stringify(request ?? null), compensates ?? null, FINAL],
    );
    if (rows.length === 1) return { attempt: rows[0].attempts };
    const existing = await this.get(ref);
    if (!existing) throw new Error(`saga step ${ref.processInstanceKey}/${ref.elementId} vanished`);
    return { finished: existing, attempt: existing.attempts };
  }

  async get(ref: StepRef): Promise<StepRow | undefined> {
    const rows = await this.q("select * from saga_steps where process_instance_key = $1 and element_id = $2 and kind = $3", [ref.processInstanceKey, ref.elementId, ref.kind]);
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** Updates the step and appends the attempt in one statement. */
  async finish(ref: StepRef, service: string, o: AttemptOutcome): Promise<void> {
    await this.q(
      `with s as (
         update saga_steps set status = $4, response = coalesce($5, response), updated_at = now()
         where process_instance_key = $1 and element_id = $2 and kind = $3
       )
       insert into saga_attempts (process_instance_key, element_id, kind, service, job_key, attempt, outcome, http_status, detail, duration_ms)
       values ($1, $2, $3, $6, $7, $8, $9, $10, $11, $12)`,
      [ref.processInstanceKey, ref.elementId, ref.kind, o.status, o.response === undefined ? null : JSON.stringify(o.response), service, o.jobKey, o.attempt, o.outcome, o.httpStatus ?? null, o.detail ?? null, o.durationMs ?? null],
    );
  }

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
  async markCompensated(compensation: StepRef, service: string, undone: string[], o: AttemptOutcome): Promise<void> {
    await this.q(
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
    );
  }

  async attempts(ref: StepRef): Promise<{ attempt: number; outcome: string; httpStatus: number | null; detail: string | null }[]> {
    const rows = await this.q(
      "select attempt, outcome, http_status, detail from saga_attempts where process_instance_key = $1 and element_id = $2 and kind = $3 order by id",
      [ref.processInstanceKey, ref.elementId, ref.kind],
    );
    return rows.map((r) => ({ attempt: r.attempt, outcome: r.outcome, httpStatus: r.http_status, detail: r.detail }));
  }
}
