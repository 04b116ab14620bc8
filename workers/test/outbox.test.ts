// The transactional outbox and its relay against a real PostgreSQL, on a recording bus and on Confluent's mock
// Kafka cluster: atomic with the saga log, order per key across replicas, re-publish with the same event id after
// a crash between publish and mark, outages, retention and the backlog gauge.
import * as assert from "assert";
import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { Pool } from "pg";
import type { EventBus, OutboundEvent } from "../src/events/bus";
import { KafkaBus } from "../src/events/kafka-bus";
import { Metrics } from "../src/metrics";
import { OutboxEvent, outboxEvent } from "../src/outbox/event";
import { OutboxRelay, OutboxRelayOptions } from "../src/outbox/relay";
import { SagaLog } from "../src/saga/log";
import { migrate } from "../src/saga/migrations";
import { eventually } from "./support/eventually";
import { freshDatabase } from "./support/harness";
import { RecordingBus } from "./support/memory-bus";
import { KafkaMockServer, PostgresServer, startKafkaMock, startPostgres } from "./support/servers";

const quiet = { warn: () => undefined };
/** A bus that only publishes, through the given function. */
const publishing = (publish: EventBus["publish"]): EventBus => ({
  publish,
  subscribe: async () => undefined,
  ping: async () => undefined,
  close: async () => undefined,
});

describe("outbox and relay", function () {
  this.timeout(60_000);
  let pg: PostgresServer;
  let pool: Pool;
  let saga: SagaLog;
  let dbNo = 0;

  const relay = (bus: EventBus, over: Partial<OutboxRelayOptions> = {}, on = pool) =>
    new OutboxRelay({
      pool: on,
      bus,
      metrics: new Metrics(false),
      log: quiet,
      batchSize: 50,
      pollIntervalMs: 20,
      retentionMs: 3_600_000,
      retryBaseMs: 50,
      retryCapMs: 200,
      ...over,
    });
  const rows = async () =>
    (await pool.query("select event_id, topic, event_key, published_at, publish_attempts, last_error from event_outbox order by id")).rows;
  const ev = (key: string, n: number, topic = "t.workflow-events"): OutboxEvent => outboxEvent(topic, key, { n }, { "x-event-type": "test" });

  before(async () => {
    pg = await startPostgres();
  });
  beforeEach(async () => {
    pool = SagaLog.connect(await freshDatabase(pg.url, `outbox${++dbNo}`));
    await migrate(pool);
    saga = new SagaLog(pool);
  });
  afterEach(async () => {
    await pool.end();
  });
  after(async () => {
    await pg.stop();
  });

  it("writes a step's events in the saga log's transaction: both or neither", async () => {
    const ref = (eik: string) => ({ processInstanceKey: "1", elementId: "A", elementInstanceKey: eik, kind: "call" as const });
    const input = { service: "svc", idempotencyKey: "k", request: { x: 1 }, jobKey: "j", leaseMs: 60_000 };
    assert.strictEqual((await saga.begin(ref("10"), input)).state, "claimed");
    assert.strictEqual(
      await saga.finish(ref("10"), 1, "svc", { status: "succeeded", outcome: "succeeded", jobKey: "j", response: { ok: true } }, [ev("1", 1), ev("1", 2)]),
      true,
    );
    assert.deepStrictEqual(
      (await rows()).map((r) => r.event_key),
      ["1", "1"],
    );

    // PostgreSQL cannot store \u0000 in jsonb: the step's update fails, and its events are not written either.
    await saga.begin(ref("11"), input);
    await assert.rejects(
      saga.finish(ref("11"), 1, "svc", { status: "succeeded", outcome: "succeeded", jobKey: "j", response: { bad: "\u0000" } }, [ev("2", 1)]),
    );
    assert.strictEqual((await saga.get(ref("11")))?.status, "started");
    // An attempt that no longer holds the step (another delivery took it over) records nothing, events included.
    await saga.begin(ref("12"), input);
    assert.strictEqual(await saga.finish(ref("12"), 7, "svc", { status: "succeeded", outcome: "succeeded", jobKey: "j" }, [ev("3", 1)]), false);
    assert.deepStrictEqual(
      (await rows()).map((r) => r.event_key),
      ["1", "1"],
      "no event for a change that did not happen",
    );

    // A value PostgreSQL could not hold as jsonb is carried as JSON text by the outbox itself.
    await saga.recordEvents([outboxEvent("t.x", "3", { text: "nul \u0000 and \ud800" })]);
    const bus = new RecordingBus();
    await relay(bus).runOnce();
    assert.deepStrictEqual(bus.on("t.x"), [{ text: "nul \u0000 and \ud800" }]);
  });

  it("two relays (replicas) publish every event once, in write order per key", async () => {
    // 40 process instances, each writing its 5 events in sequence (steps of one saga follow each other).
    const keys = Array.from({ length: 40 }, (_, i) => `pik-${i}`);
    for (const k of keys) for (let i = 0; i < 5; i++) await saga.recordEvents([ev(k, i)]);
    const published: { relay: string; key: string; n: number; id: string }[] = [];
    // A bus that takes a little while per publish, so the two relays' rounds overlap.
    const slowBus = (name: string) =>
      publishing(async (_topic: string, e: OutboundEvent) => {
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        published.push({ relay: name, key: e.key, n: (e.value as { n: number }).n, id: e.headers!["event-id"]! });
      });
    const second = SagaLog.connect(new URL(pool.options.connectionString!).toString());
    const a = relay(slowBus("a"), { batchSize: 30 });
    const b = relay(slowBus("b"), { batchSize: 30 }, second);
    try {
      a.start();
      b.start();
      await eventually(async () => (await a.backlog()).count === 0, "empty backlog", 30_000);
    } finally {
      await a.stop();
      await b.stop();
      await second.end();
    }
    assert.strictEqual(published.length, 200, "each event once");
    assert.strictEqual(new Set(published.map((p) => p.id)).size, 200);
    assert.ok(new Set(published.map((p) => p.relay)).size === 2, "both replicas took part");
    for (const k of keys) {
      const order = published.filter((p) => p.key === k).map((p) => p.n);
      assert.deepStrictEqual(
        order,
        [...order].sort((x, y) => x - y),
        `order of ${k}`,
      );
    }
  });

  it("a crash between publish and mark re-publishes with the same event id (at least once)", async () => {
    await saga.recordEvents([ev("k", 1)]);
    const bus = new RecordingBus();
    const crashing = publishing(async (topic, e) => {
      await bus.publish(topic, e);
      // The relay's process dies after the publish, before its transaction commits: its session ends.
      await pool.query("select pg_terminate_backend(pid) from pg_stat_activity where state like 'idle in transaction%' and pid <> pg_backend_pid()");
    });
    await assert.rejects(relay(crashing).runOnce());
    assert.strictEqual((await rows())[0].published_at, null, "not marked");
    await relay(bus).runOnce();
    assert.strictEqual(bus.published.length, 2);
    assert.strictEqual(bus.published[0].event.headers!["event-id"], bus.published[1].event.headers!["event-id"]);
    assert.strictEqual(bus.published[0].event.headers!["event-id"], (await rows())[0].event_id);
    assert.notStrictEqual((await rows())[0].published_at, null);
  });

  it("a failed publish keeps the event and all later events of its key; other keys go on", async () => {
    await saga.recordEvents([ev("a", 1), ev("b", 1), ev("a", 2)]);
    const bus = new RecordingBus();
    let failA = true;
    const picky = publishing(async (t, e) => (failA && e.key === "a" ? Promise.reject(new Error("broker says no")) : bus.publish(t, e)));
    const r = relay(picky);
    assert.deepStrictEqual(await r.runOnce(), { published: 1, failed: 1, deferred: 1 });
    const failed = (await rows()).find((x) => x.event_key === "a" && x.last_error);
    assert.strictEqual(failed?.last_error, "Error: broker says no");
    assert.strictEqual(failed?.publish_attempts, 1);
    failA = false;
    await eventually(async () => (await r.runOnce(), bus.published.length === 3), "a's events after the retry delay", 5_000);
    assert.deepStrictEqual(
      bus.published.map((p) => `${p.event.key}${(p.event.value as { n: number }).n}`),
      ["b1", "a1", "a2"],
    );
  });

  it("deletes published events past the retention, keeps the rest, and reports the backlog", async () => {
    await saga.recordEvents([ev("a", 1), ev("a", 2), ev("b", 1)]);
    const bus = new RecordingBus();
    const r = relay(bus, { retentionMs: 60_000, batchSize: 1 });
    await r.runOnce(); // publishes a1 only
    assert.strictEqual((await r.backlog()).count, 2);
    await pool.query("update event_outbox set published_at = now() - interval '2 minutes' where published_at is not null");
    assert.strictEqual(await r.cleanup(), 1);
    assert.deepStrictEqual(
      (await rows()).map((x) => x.event_key),
      ["a", "b"],
    );

    const metrics = new Metrics(false);
    const running = relay(bus, { metrics, batchSize: 1 });
    bus.down = true;
    running.start();
    await eventually(async () => (await metrics.registry.getSingleMetricAsString("worker_outbox_backlog")).endsWith(" 2"), "backlog gauge 2");
    bus.down = false;
    await eventually(async () => (await running.backlog()).count === 0, "backlog drained");
    await running.stop();
    assert.match(await metrics.registry.getSingleMetricAsString("worker_outbox_published_total"), /topic="t.workflow-events"} 2/);
  });

  describe("on the mock Kafka cluster", () => {
    let kafka: KafkaMockServer;
    before(async () => {
      kafka = await startKafkaMock();
    });
    after(async () => {
      await kafka.stop();
    });

    it("publishes through an outage: events written while the brokers are down arrive after, with their event ids", async () => {
      const topic = `outbox-${randomUUID()}.dead-letter`;
      const bus = new KafkaBus({ brokers: kafka.brokers, clientId: "outbox-test", retries: 1, onError: () => undefined });
      const r = relay(bus, { publishTimeoutMs: 10_000 });
      const consumer = new Kafka({ clientId: "outbox-reader", brokers: kafka.brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: `g-${randomUUID()}` });
      try {
        await saga.recordEvents([outboxEvent(topic, "pik-1", { first: true })]);
        await r.runOnce(); // creates the topic
        await kafka.down();
        const written = outboxEvent(topic, "pik-1", { reason: "compensation failed" });
        await saga.recordEvents([written]);
        assert.deepStrictEqual(await r.runOnce(), { published: 0, failed: 1, deferred: 0 });
        await kafka.up();
        r.start();
        await eventually(async () => (await r.backlog()).count === 0, "backlog drained after the outage", 30_000);

        const got: { key: string; id: string; value: unknown }[] = [];
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) =>
            void got.push({ key: String(message.key), id: String(message.headers!["event-id"]), value: JSON.parse(String(message.value)) }),
        });
        await eventually(() => got.length >= 2, "both records consumed", 40_000);
        assert.deepStrictEqual(got[1], { key: "pik-1", id: written.eventId, value: { reason: "compensation failed" } });
        assert.strictEqual(got.length, 2);
      } finally {
        await r.stop();
        await consumer.disconnect();
        await bus.close();
      }
    });
  });
});
