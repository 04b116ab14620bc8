import { strict as assert } from "node:assert";
import Redis from "ioredis";
import { createEventBus, EventBus, InboundEvent } from "../src/events";
import { fromStreamEntry, toStreamFields } from "../src/events/redis-streams-mapping";
import { RedisStreamsBus } from "../src/events/redis-streams-bus";
import { RedisServer, startRedis } from "./support/servers";

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("events: Redis Streams mapping", () => {
  it("round-trips key, JSON value and headers, and takes the id from the event-id header", () => {
    const fields = toStreamFields({ key: "order-1", value: { a: [1, "x"] }, headers: { "event-id": "e-1", trace: "t" } });
    assert.deepEqual(fromStreamEntry("p.triggers", "1-0", fields), {
      topic: "p.triggers",
      id: "e-1",
      key: "order-1",
      value: { a: [1, "x"] },
      headers: { "event-id": "e-1", trace: "t" },
    });
    assert.equal(JSON.parse(fields[fields.indexOf("headers") + 1]!).trace, "t");
  });

  it("gives every published event a fresh event id, and falls back to the entry id and raw text for foreign entries", () => {
    const a = fromStreamEntry("t", "1-0", toStreamFields({ key: "k", value: 1 }));
    const b = fromStreamEntry("t", "1-0", toStreamFields({ key: "k", value: 1 }));
    assert.match(a.id, /^[0-9a-f-]{36}$/);
    assert.notEqual(a.id, b.id);
    assert.deepEqual(fromStreamEntry("t", "7-1", ["value", "not json"]), { topic: "t", id: "7-1", key: null, value: "not json", headers: {} });
  });
});

describe("events: Redis Streams bus against a real redis-server", () => {
  let server: RedisServer;
  const buses: EventBus[] = [];
  const bus = (extra: Partial<ConstructorParameters<typeof RedisStreamsBus>[0]> = {}): EventBus => {
    const b = new RedisStreamsBus({ url: server.url, clientId: "test", blockMs: 100, claimIdleMs: 300, ...extra });
    buses.push(b);
    return b;
  };

  before(async () => {
    server = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });
  after(async () => {
    await server.stop();
  });

  it("createEventBus builds a working redis-streams bus and validates its config", async () => {
    const b = createEventBus({ kind: "redis-streams", redisUrl: server.url, clientId: "factory" });
    buses.push(b);
    await b.ping();
    assert.throws(() => createEventBus({ kind: "redis-streams", clientId: "x" }), /redisUrl/);
    assert.throws(() => createEventBus({ kind: "kafka", clientId: "x", brokers: [] }), /broker/);
  });

  it("delivers published events to a subscribed group with key, value and id, and acks them", async () => {
    const b = bus();
    const got: InboundEvent[] = [];
    await b.subscribe(["rt.a", "rt.b"], "g1", async (e) => void got.push(e));
    await b.publish("rt.a", { key: "k1", value: { n: 1 }, headers: { "event-id": "id-1" } });
    await b.publish("rt.b", { key: "k2", value: [true] });
    await eventually(() => got.length === 2, "two events");
    assert.deepEqual(got[0], { topic: "rt.a", id: "id-1", key: "k1", value: { n: 1 }, headers: { "event-id": "id-1" } });
    assert.equal(got[1]!.topic, "rt.b");
    assert.deepEqual(got[1]!.value, [true]);

    const redis = new Redis(server.url);
    try {
      const pendingCount = async () => ((await redis.xpending("rt.a", "g1")) as [number, ...unknown[]])[0];
      await eventually(async () => (await pendingCount()) === 0, "handled entries acknowledged");
    } finally {
      redis.disconnect();
    }
  });

  it("a new group also receives what the stream already holds", async () => {
    const b = bus();
    await b.publish("rt.old", { key: "k", value: "before" });
    const got: unknown[] = [];
    await b.subscribe(["rt.old"], "late", async (e) => void got.push(e.value));
    await eventually(() => got.length === 1, "retained event");
    assert.deepEqual(got, ["before"]);
  });

  it("redelivers an event whose handler failed, with the same id, until it succeeds", async () => {
    const b = bus();
    const attempts: string[] = [];
    await b.subscribe(["rt.retry"], "g1", async (e) => {
      attempts.push(e.id);
      if (attempts.length < 3) throw new Error("transient");
    });
    await b.publish("rt.retry", { key: "k", value: 1, headers: { "event-id": "same" } });
    await eventually(() => attempts.length === 3, "third attempt");
    assert.deepEqual(attempts, ["same", "same", "same"]);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(attempts.length, 3, "acked after success, not delivered again");
  });

  it("hands an entry left pending by a crashed consumer to another consumer of the group", async () => {
    // A consumer reads but never acks (as if its process died mid-handler).
    const redis = new Redis(server.url);
    try {
      await redis.xgroup("CREATE", "rt.crash", "g1", "0", "MKSTREAM");
      const b = bus();
      await b.publish("rt.crash", { key: "k", value: "x", headers: { "event-id": "orphan" } });
      await redis.xreadgroup("GROUP", "g1", "dead-consumer", "COUNT", 10, "STREAMS", "rt.crash", ">");
      const got: string[] = [];
      await b.subscribe(["rt.crash"], "g1", async (e) => void got.push(e.id));
      await eventually(() => got.length === 1, "re-claimed entry");
      assert.deepEqual(got, ["orphan"]);
    } finally {
      redis.disconnect();
    }
  });

  it("ping fails when the server is stopped", async () => {
    const own = await startRedis();
    const b = new RedisStreamsBus({ url: own.url, clientId: "ping", pingTimeoutMs: 1000 });
    buses.push(b);
    await b.ping();
    await own.stop();
    await assert.rejects(b.ping());
  });
});
