// The outbox relay: publishes what the saga log wrote to event_outbox, in order per key, after any bus outage.
//
// One round, in one transaction: lock up to batchSize due rows with FOR UPDATE SKIP LOCKED (so replicas share the
// work and never publish the same row in the normal case), publish them, mark them published, commit. A crash
// between publish and commit releases the locks: the rows are published again with the same event-id header,
// which consumers de-duplicate on (at least once). A key's rows are published in id order, and a row waits while
// an earlier unpublished row of its key is held by another replica or waits for its retry, so order per key holds
// across replicas and outages.
import type { Pool, PoolClient } from "pg";
import { backoffMs } from "../backoff";
import type { EventBus } from "../events/bus";
import { withTimeout } from "../events/timeout";
import type { Metrics } from "../metrics";
import { errorText } from "../redact";

export interface RelayLog {
  warn(obj: object, msg: string): void;
}

export interface OutboxRelayOptions {
  pool: Pool;
  bus: EventBus;
  metrics: Metrics;
  log: RelayLog;
  /** Rows locked and published per round. */
  batchSize: number;
  /** Wait between rounds that found nothing due. */
  pollIntervalMs: number;
  /** Published rows are deleted once older than this. */
  retentionMs: number;
  /** Bound on one publish (the bus client's own retries included). */
  publishTimeoutMs?: number;
  /** Retry delay of a row whose publish failed: exponential in its failed attempts, between these bounds. */
  retryBaseMs?: number;
  retryCapMs?: number;
}

interface Row {
  id: string;
  event_id: string;
  topic: string;
  event_key: string;
  payload: string;
  headers: string;
  publish_attempts: number;
}

export interface RoundResult {
  published: number;
  failed: number;
  /** Rows locked but left for later because an earlier row of their key was not published yet. */
  deferred: number;
}

const GAUGE_INTERVAL_MS = 5_000;
const CLEANUP_INTERVAL_MS = 60_000;
const CLEANUP_BATCH = 10_000;

export class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private lastGauges = 0;
  private lastCleanup = 0;

  constructor(private readonly opts: OutboxRelayOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Ends the loop after its current round, then tries one last round for what draining jobs wrote. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.runOnce().catch(() => undefined); // what stays unpublished is another replica's (or the next start's)
  }

  /** One round; exported for tests and for a last flush at shutdown. */
  async runOnce(): Promise<RoundResult> {
    const client = await this.opts.pool.connect();
    // The session may end while the round waits on the bus (server restart): that must fail the round, not the process.
    const onError = (err: Error) => this.opts.log.warn({ err: err.message }, "outbox relay connection lost");
    client.on("error", onError);
    let broken: Error | undefined;
    try {
      await client.query("begin");
      const result = await this.round(client);
      await client.query("commit");
      return result;
    } catch (err) {
      await client.query("rollback").catch(() => undefined);
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.off("error", onError);
      client.release(broken); // a failed session is discarded, not handed out again
    }
  }

  /** Unpublished rows and the age of the oldest one (what worker_outbox_backlog reports). */
  async backlog(): Promise<{ count: number; oldestAgeSeconds: number }> {
    const { rows } = await this.opts.pool.query(
      "select count(*)::int as count, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as age from event_outbox where published_at is null",
    );
    return { count: rows[0].count, oldestAgeSeconds: rows[0].age };
  }

  /** Deletes published rows older than the retention, in bounded batches; returns how many. */
  async cleanup(): Promise<number> {
    let total = 0;
    for (;;) {
      const res = await this.opts.pool.query(
        `delete from event_outbox where id in (
           select id from event_outbox where published_at < now() - make_interval(secs => $1::float8 / 1000) limit $2)`,
        [this.opts.retentionMs, CLEANUP_BATCH],
      );
      total += res.rowCount ?? 0;
      if ((res.rowCount ?? 0) < CLEANUP_BATCH) return total;
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let busy = false;
      try {
        await this.housekeeping();
        const r = await this.runOnce();
        busy = r.published + r.failed === this.opts.batchSize; // a full batch: more may be due right away
        failures = 0;
      } catch (err) {
        // PostgreSQL unavailable: nothing is lost (the rows stay), try again later.
        failures += 1;
        this.opts.log.warn({ err: errorText(err), failures }, "outbox relay round failed");
      }
      if (!busy && this.running) await this.idle(failures > 0 ? backoffMs(failures, this.opts.pollIntervalMs, 5_000) : this.opts.pollIntervalMs);
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - this.lastGauges >= GAUGE_INTERVAL_MS) {
      this.lastGauges = now;
      const b = await this.backlog();
      this.opts.metrics.outboxBacklog.set(b.count);
      this.opts.metrics.outboxOldestAge.set(b.oldestAgeSeconds);
    }
    if (now - this.lastCleanup >= CLEANUP_INTERVAL_MS) {
      this.lastCleanup = now;
      await this.cleanup();
    }
  }

  private async round(client: PoolClient): Promise<RoundResult> {
    const rows = (
      await client.query<Row>(
        `select id, event_id, topic, event_key, payload, headers, publish_attempts from event_outbox
         where published_at is null and next_attempt_at <= now()
         order by id limit $1 for update skip locked`,
        [this.opts.batchSize],
      )
    ).rows;
    if (rows.length === 0) return { published: 0, failed: 0, deferred: 0 };

    // Earlier unpublished rows of the same keys that this round does not hold must go first.
    const held = rows.map((r) => r.id);
    const byKey = new Map<string, Row[]>();
    for (const r of rows) byKey.set(r.event_key, [...(byKey.get(r.event_key) ?? []), r]);
    const earlier = await client.query<{ event_key: string; first: string }>(
      `select event_key, min(id)::text as first from event_outbox
       where published_at is null and event_key = any($1) and id <> all($2::bigint[]) and id < $3::bigint
       group by event_key`,
      [[...byKey.keys()], held, held[held.length - 1]],
    );
    const firstForeign = new Map(earlier.rows.map((r) => [r.event_key, BigInt(r.first)]));

    const published: string[] = [];
    const failed: { row: Row; error: string }[] = [];
    let deferred = 0;
    await Promise.all(
      [...byKey.entries()].map(async ([key, keyRows]) => {
        const limit = firstForeign.get(key);
        for (const [i, row] of keyRows.entries()) {
          if (limit !== undefined && BigInt(row.id) > limit) {
            deferred += keyRows.length - i;
            return;
          }
          try {
            await this.publish(row);
            published.push(row.id);
            this.opts.metrics.outboxPublished.inc({ topic: row.topic });
          } catch (err) {
            failed.push({ row, error: errorText(err) });
            this.opts.metrics.eventPublishFailures.inc({ topic: row.topic });
            deferred += keyRows.length - i - 1; // later rows of this key wait for this one
            return;
          }
        }
      }),
    );

    if (published.length > 0) {
      await client.query("update event_outbox set published_at = now(), publish_attempts = publish_attempts + 1 where id = any($1::bigint[])", [published]);
    }
    if (failed.length > 0) {
      const base = this.opts.retryBaseMs ?? 500;
      const cap = this.opts.retryCapMs ?? 30_000;
      await client.query(
        `update event_outbox o set publish_attempts = o.publish_attempts + 1, last_error = f.error,
           next_attempt_at = now() + make_interval(secs => f.delay_ms / 1000)
         from unnest($1::bigint[], $2::text[], $3::float8[]) as f(id, error, delay_ms) where o.id = f.id`,
        [failed.map((f) => f.row.id), failed.map((f) => f.error.slice(0, 1000)), failed.map((f) => backoffMs(f.row.publish_attempts + 1, base, cap))],
      );
      this.opts.log.warn(
        { failed: failed.length, topics: [...new Set(failed.map((f) => f.row.topic))], error: failed[0].error },
        "outbox publish failed; will retry",
      );
    }
    return { published: published.length, failed: failed.length, deferred };
  }

  private async publish(row: Row): Promise<void> {
    const event = { key: row.event_key, value: JSON.parse(row.payload) as unknown, headers: JSON.parse(row.headers) as Record<string, string> };
    await withTimeout(this.opts.bus.publish(row.topic, event), this.opts.publishTimeoutMs ?? 30_000, `publish to ${row.topic}`);
  }
}
