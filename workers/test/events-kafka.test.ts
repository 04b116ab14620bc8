import { strict as assert } from "node:assert";
import { randomUUID } from "node:crypto";
import { KafkaMessage } from "kafkajs";
import { InboundEvent } from "../src/events";
import { KafkaBus } from "../src/events/kafka-bus";
import { fromKafkaRecord, toKafkaMessage } from "../src/events/kafka-mapping";
import { freePort, KafkaMockServer, startKafkaMock } from "./support/servers";

const record = (m: Partial<KafkaMessage>): KafkaMessage =>
  ({
    key: null,
    value: null,
    timestamp: "0",
    attributes: 0,
    offset: "0",
    headers: {},
    ...m,
  }) as KafkaMessage;

describe("events: Kafka mapping", () => {
  it("maps an outbound event to a JSON message with key and headers, adding an event id", () => {
    const m = toKafkaMessage({ key: "order-1", value: { total: 3 }, headers: { trace: "t1" } });
    assert.equal(m.key, "order-1");
    assert.equal(m.value, '{"total":3}');
    assert.equal((m.headers as Record<string, string>).trace, "t1");
    assert.match((m.headers as Record<string, string>)["event-id"]!, /^[0-9a-f-]{36}$/);
    const kept = toKafkaMessage({ key: "k", value: null, headers: { "event-id": "chosen" } });
    assert.equal((kept.headers as Record<string, string>)["event-id"], "chosen");
  });

  it("maps a record to an inbound event, id from the event-id header (Buffer or string)", () => {
    const e = fromKafkaRecord(
      "p.responses",
      2,
      record({
        key: Buffer.from("k1"),
        value: Buffer.from('{"messageName":"m"}'),
        offset: "41",
        headers: { "event-id": Buffer.from("abc") },
      }),
    );
    assert.deepEqual(e, { topic: "p.responses", id: "abc", key: "k1", value: { messageName: "m" }, headers: { "event-id": "abc" } });
    assert.equal(fromKafkaRecord("t", 0, record({ headers: { "event-id": ["first", "second"] } })).id, "first");
  });

  it("falls back to topic/partition/offset as id, and passes non-JSON values as text", () => {
    const e = fromKafkaRecord("p.triggers", 3, record({ value: Buffer.from("{oops"), offset: "17" }));
    assert.deepEqual(e, { topic: "p.triggers", id: "p.triggers/3/17", key: null, value: "{oops", headers: {} });
  });
});

describe("events: Kafka bus without a broker", () => {
  it("ping rejects within its timeout when nothing listens at the broker address", async () => {
    const reported: string[] = [];
    const bus = new KafkaBus({
      brokers: [`127.0.0.1:${await freePort()}`],
      clientId: "ping-test",
      pingTimeoutMs: 1500,
      onError: (err, context) => reported.push(`${context}: ${(err as Error).message}`),
    });
    const started = Date.now();
    await assert.rejects(bus.ping());
    assert.ok(Date.now() - started < 5000);
    assert.ok(
      reported.some((r) => r.includes("ECONNREFUSED")),
      "connection errors reach onError",
    );
    await bus.close();
  });
});

describe("events: Kafka bus on the mock Kafka cluster (librdkafka)", function () {
  this.timeout(90_000);
  let kafka: KafkaMockServer;

  before(async () => {
    kafka = await startKafkaMock();
  });
  after(async () => {
    await kafka?.stop();
  });

  it("publishes and consumes a round trip through a consumer group; ping answers", async () => {
    const bus = new KafkaBus({ brokers: kafka.brokers, clientId: "events-test", onError: () => undefined });
    const topic = `events-test-${randomUUID()}`;
    try {
      await bus.ping();
      const got: InboundEvent[] = [];
      // Published before subscribing (the first publish creates the topic): a new group reads from the beginning.
      const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
      await bus.publish(topic, { key: "k", value: { n: 1 }, headers: { "event-id": "kafka-1", traceparent } });
      await bus.subscribe([topic], `g-${randomUUID()}`, async (e) => void got.push(e));
      const deadline = Date.now() + 60_000;
      while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      // Headers come back too: the trace context of the producer among them.
      assert.deepEqual(got, [{ topic, id: "kafka-1", key: "k", value: { n: 1 }, headers: { "event-id": "kafka-1", traceparent } }]);
    } finally {
      await bus.close();
    }
  });

  it("reports a consumer group's lag: everything before it reads, nothing once it has committed", async () => {
    const bus = new KafkaBus({ brokers: kafka.brokers, clientId: "events-lag", onError: () => undefined });
    const topic = `events-lag-${randomUUID()}`;
    const group = `g-${randomUUID()}`;
    try {
      for (let i = 0; i < 3; i++) await bus.publish(topic, { key: `k${i}`, value: i });
      assert.deepEqual(await bus.consumerLag(group, [topic]), { [topic]: 3 });
      let seen = 0;
      await bus.subscribe([topic], group, async () => void (seen += 1));
      const deadline = Date.now() + 60_000;
      let lag = await bus.consumerLag(group, [topic]);
      while ((seen < 3 || lag[topic] !== 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        lag = await bus.consumerLag(group, [topic]);
      }
      assert.strictEqual(seen, 3);
      assert.deepEqual(lag, { [topic]: 0 });
    } finally {
      await bus.close();
    }
  });

  it("a publish fails while the brokers are down and succeeds once they are back", async () => {
    const bus = new KafkaBus({ brokers: kafka.brokers, clientId: "events-outage", retries: 1, onError: () => undefined });
    const topic = `events-outage-${randomUUID()}`;
    try {
      await bus.publish(topic, { key: "k", value: 1 });
      await kafka.down();
      await assert.rejects(bus.publish(topic, { key: "k", value: 2 }));
      await assert.rejects(bus.ping());
      await kafka.up();
      await bus.publish(topic, { key: "k", value: 3 });
    } finally {
      await kafka.up();
      await bus.close();
    }
  });
});
