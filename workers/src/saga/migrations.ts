// Saga log schema, applied by the worker at start-up. Append new versions; never edit applied ones.
import type { Pool } from "pg";

export const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      create table saga_steps (
        process_instance_key text not null,
        element_id text not null,
        kind text not null check (kind in ('call', 'compensate')),
        service text not null,
        status text not null check (status in ('started', 'succeeded', 'failed', 'rejected', 'compensated', 'skipped', 'dead_lettered')),
        idempotency_key text not null,
        request jsonb,
        response jsonb,
        compensates text,
        attempts int not null default 0,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        primary key (process_instance_key, element_id, kind)
      );
      create index saga_steps_by_service on saga_steps (process_instance_key, service, kind, status);
      create table saga_attempts (
        id bigserial primary key,
        process_instance_key text not null,
        element_id text not null,
        kind text not null,
        service text not null,
        job_key text not null,
        attempt int not null,
        outcome text not null,
        http_status int,
        detail text,
        duration_ms double precision,
        at timestamptz not null default now()
      );
      create index saga_attempts_by_step on saga_attempts (process_instance_key, element_id, kind);
    `,
  },
  {
    // Steps keyed on the element instance (each loop or multi-instance iteration is its own step), leases
    // for steps in progress, the order in which calls succeeded (compensation undoes newest first), and the
    // moment compensation began in a process instance. Rows from version 1 get element instance "v1:<element id>".
    version: 2,
    sql: `
      alter table saga_steps add column element_instance_key text;
      update saga_steps set element_instance_key = 'v1:' || element_id;
      alter table saga_steps alter column element_instance_key set not null;
      alter table saga_steps drop constraint saga_steps_pkey;
      alter table saga_steps add primary key (process_instance_key, element_instance_key, kind);
      alter table saga_steps drop constraint saga_steps_status_check;
      alter table saga_steps add constraint saga_steps_status_check check (status in
        ('started', 'succeeded', 'failed', 'rejected', 'compensating', 'compensated', 'compensation_failed', 'skipped', 'dead_lettered'));
      alter table saga_steps
        add column lease_until timestamptz,
        add column http_status int,
        add column completed_seq bigint,
        add column undo_attempts int not null default 0;
      create sequence saga_completion_seq;
      with ordered as (
        select process_instance_key pik, element_instance_key eik, row_number() over (order by updated_at, created_at) n
        from saga_steps where kind = 'call' and status in ('succeeded', 'compensated')
      )
      update saga_steps s set completed_seq = o.n from ordered o
      where s.process_instance_key = o.pik and s.element_instance_key = o.eik and s.kind = 'call';
      select setval('saga_completion_seq', coalesce((select max(completed_seq) from saga_steps), 0) + 1, false);
      create index saga_steps_by_completion on saga_steps (process_instance_key, completed_seq) where kind = 'call';
      alter table saga_attempts add column element_instance_key text;
      create table saga_compensations (
        process_instance_key text primary key,
        started_at timestamptz not null default now()
      );
    `,
  },
  {
    // Transactional outbox: step events and dead letters, written with the saga-log change they describe and
    // published by the relay (src/outbox/relay.ts). payload/headers are JSON text, exactly as published.
    version: 3,
    sql: `
      create table event_outbox (
        id bigserial primary key,
        event_id text not null unique,
        topic text not null,
        event_key text not null,
        payload text not null,
        headers text not null,
        created_at timestamptz not null default now(),
        published_at timestamptz,
        publish_attempts int not null default 0,
        next_attempt_at timestamptz not null default now(),
        last_error text
      );
      create index event_outbox_unpublished on event_outbox (id) where published_at is null;
      create index event_outbox_unpublished_by_key on event_outbox (event_key, id) where published_at is null;
      create index event_outbox_published on event_outbox (published_at) where published_at is not null;
    `,
  },
];

// Arbitrary constant: serialises migrations across worker replicas starting together.
const LOCK_ID = 7_311_042;

export async function migrate(pool: Pool): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query("select pg_advisory_lock($1)", [LOCK_ID]);
    await client.query("create table if not exists saga_schema_migrations (version int primary key, applied_at timestamptz not null default now())");
    const done = new Set((await client.query<{ version: number }>("select version from saga_schema_migrations")).rows.map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query("begin");
      try {
        await client.query(m.sql);
        await client.query("insert into saga_schema_migrations (version) values ($1)", [m.version]);
        await client.query("commit");
        applied.push(m.version);
      } catch (e) {
        await client.query("rollback");
        throw e;
      }
    }
  } finally {
    await client.query("select pg_advisory_unlock($1)", [LOCK_ID]).catch(() => undefined);
    client.release();
  }
  return applied;
}
