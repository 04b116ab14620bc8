// Every shipped model executed end to end on the executing gateway peer with the real worker,
// PostgreSQL, Redis and loopback HTTP services: the parallel template, the three seed examples (happy and
// compensating paths), publish-and-wait with the responses and errors topics, and a trigger delivered twice
// and again after Redis lost the bridge's mark. The event-bus tests run on Redis Streams and on Confluent's
// mock Kafka cluster (librdkafka).
import * as assert from "assert";
import { randomUUID } from "crypto";
import * as fs from "fs";
import Redis from "ioredis";
import { Consumer, Kafka, logLevel } from "kafkajs";
import * as path from "path";
import { DEFAULT_BRIDGE_GROUP, dedupKey, EventBus, KafkaBus, RedisStreamsBus, startMessageName, topicNames } from "../src/events";
import { fromStreamEntry } from "../src/events/redis-streams-mapping";
import { eventually } from "./support/eventually";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, runStreamingWorker, tempDir, TEMPLATES_DIR, testConfig } from "./support/harness";
import { RecordedCall, startService, TestService } from "./support/http-services";
import { KafkaMockServer, PostgresServer, RedisServer, startKafkaMock, startPostgres, startRedis } from "./support/servers";

const SERVICES = [
  "inventory",
  "payment",
  "shipping",
  "notification",
  "scheduling",
  "clinical",
  "billing",
  "compliance",
  "fraud-detection",
  "authorization",
  "settlement",
];
const TOPICS = topicNames("shop");

/** Every service answers 200, except the one named by the variable rejectAt (409, a business rejection). */
const behaviour = (name: string) => (c: RecordedCall) => {
  if (c.path === "/api/compensate") return { status: 200, body: { undone: c.body.elementId }, delayMs: 100 };
  if (c.body.rejectAt === name) return { status: 409, body: { error: `${name} refused` } };
  return { status: 200, body: { by: name } };
};

/** Models as a user deploys them: the templates plus the seed examples copied next to them. */
function workflowsWithExamples(): string {
  const dir = tempDir("wf-all-");
  for (const f of fs.readdirSync(TEMPLATES_DIR).filter((n) => n.endsWith(".bpmn"))) fs.copyFileSync(path.join(TEMPLATES_DIR, f), path.join(dir, f));
  const examples = path.join(TEMPLATES_DIR, "examples");
  for (const f of fs.readdirSync(examples)) fs.copyFileSync(path.join(examples, f), path.join(dir, f));
  return dir;
}

/** The calls a service got for one instance (its undo calls with p = "/api/compensate"). */
const callsOf =
  (services: TestService[]) =>
  (name: string, pik: string, p = "/api/process") =>
    services
      .find((s) => s.name === name)!
      .callsTo(p)
      .filter((c) => (p === "/api/compensate" ? c.body.processInstanceKey === pik : String(c.headers["idempotency-key"]).includes(pik)));

/** The undo calls of an instance, in the order they reached the services, each after the previous one finished. */
function undoOrder(services: TestService[], pik: string, names: string[]): string[] {
  const undo = names.flatMap((n) => callsOf(services)(n, pik, "/api/compensate").map((c) => ({ n, at: c.at })));
  undo.sort((a, b) => a.at - b.at);
  for (let i = 1; i < undo.length; i++) assert.ok(undo[i].at >= undo[i - 1].at + 90, `${undo[i].n} undone after ${undo[i - 1].n}'s undo finished`);
  return undo.map((u) => u.n);
}

/** An event the worker published, with its headers. */
interface PublishedEvent {
  key: string | null;
  value: Record<string, any>;
  headers: Record<string, string>;
}

/** What the event-bus tests need, whichever bus carries the events. */
interface BusFixture {
  peer: GatewayPeer;
  services: TestService[];
  /** Publishes inbound events as a producing application would. */
  producer: EventBus;
  /** The bridge's de-duplication Redis. */
  dedupRedis: Redis;
  /** What the worker published on a topic so far. */
  published(topic: string): Promise<PublishedEvent[]>;
}

async function streamEvents(client: Redis, topic: string): Promise<PublishedEvent[]> {
  return (await client.xrange(topic, "-", "+")).map(([id, f]) => {
    const e = fromStreamEntry(topic, id, f);
    return { key: e.key, value: e.value as Record<string, any>, headers: JSON.parse(f[f.indexOf("headers") + 1]) };
  });
}

/** Reads what the worker publishes on Kafka, headers included, in a consumer group of its own. */
async function kafkaReader(brokers: string[], topics: string[]): Promise<{ consumer: Consumer; published(topic: string): Promise<PublishedEvent[]> }> {
  const got: (PublishedEvent & { topic: string })[] = [];
  const consumer = new Kafka({ clientId: "templates-e2e-reader", brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: `reader-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
      got.push({ topic, key: message.key?.toString() ?? null, value: JSON.parse(message.value?.toString() ?? "null"), headers });
    },
  });
  return { consumer, published: async (topic) => got.filter((e) => e.topic === topic) };
}

/**
 * publish-and-wait through the responses (and, with errorsTopic, errors) topics, and triggers, on the bus the
 * fixture wires. The errors topic takes the same bus path as the responses topic, so one bus runs it.
 */
function eventBusTests(fixture: () => BusFixture, tag: string, { errorsTopic }: { errorsTopic: boolean }): void {
  const start = (bpmnProcessId: string, variables: Record<string, unknown>) => fixture().peer.engine!.createInstance({ bpmnProcessId, variables }).key;

  it("publish-and-wait: the request is published, a responses event correlates and the saga completes", async () => {
    const { peer, producer, published } = fixture();
    const sagaId = `pw-1-${tag}`;
    const pik = start("compensation-saga", { sagaId });
    await peer.waitFor(() => peer.instance(pik).subscriptions.size > 0, 15000, "waiting for confirmation");
    const isRequest = (e: PublishedEvent) => e.headers["process-instance-key"] === pik && e.headers["element-id"] === "Task_PublishSagaCompleted";
    // publish-and-wait publishes before its job completes (no outbox): the request is on the bus already.
    await eventually(async () => (await published(TOPICS.workflowEvents)).some(isRequest), "the saga's request on the bus", 30_000);
    const request = (await published(TOPICS.workflowEvents)).find(isRequest)!;
    assert.strictEqual(request.key, sagaId);
    await producer.publish(TOPICS.responses, {
      key: sagaId,
      value: { messageName: "saga-confirmed", correlationKey: sagaId, variables: { confirmedBy: "erp" } },
      headers: { "event-id": `resp-${sagaId}` },
    });
    const i = await peer.waitForEnd(pik, 60_000);
    assert.deepStrictEqual(i.endEvents, ["End_SagaCompleted"]);
    assert.strictEqual(i.variables.confirmedBy, "erp");
  });

  if (errorsTopic)
    it("publish-and-wait: an errors event sends the waiting saga down its compensation path (all three steps undone in reverse)", async () => {
      const { peer, producer, services } = fixture();
      const sagaId = `pw-2-${tag}`;
      const pik = start("compensation-saga", { sagaId });
      await peer.waitFor(() => peer.instance(pik).subscriptions.size > 0, 15000, "waiting for confirmation");
      await producer.publish(TOPICS.errors, {
        key: sagaId,
        value: { correlationKey: sagaId, error: "carrier lost the parcel" },
        headers: { "event-id": `err-${sagaId}` },
      });
      const i = await peer.waitForEnd(pik, 60_000);
      assert.deepStrictEqual(i.endEvents, ["End_SagaCompensated"]);
      assert.deepStrictEqual(undoOrder(services, pik, ["inventory", "payment", "shipping"]), ["shipping", "payment", "inventory"]);
      assert.deepStrictEqual(i.variables.compensationRequest, { error: "carrier lost the parcel", eventId: `err-${sagaId}` });
    });

  it("a trigger event delivered twice, and again after Redis lost the bridge's mark, starts one instance through the message start event", async () => {
    const { peer, producer, dedupRedis, published } = fixture();
    const sagaId = `tr-1-${tag}`;
    const eventId = `trigger-${sagaId}`;
    const mark = dedupKey(DEFAULT_BRIDGE_GROUP, eventId);
    const before = peer.instancesOf("compensation-saga").length;
    const trigger = { key: sagaId, value: { bpmnProcessId: "compensation-saga", variables: { sagaId } }, headers: { "event-id": eventId } };
    await producer.publish(TOPICS.triggers, trigger);
    await producer.publish(TOPICS.triggers, trigger);
    await peer.waitFor(() => peer.instancesOf("compensation-saga").length > before, 30_000, "an instance from the trigger");
    await eventually(async () => (await dedupRedis.get(mark)) === "done", "the bridge's mark", 30_000);

    // Redis loses the mark (e.g. restarted without its data): the next delivery reaches the gateway, which
    // refuses the start message because one with the same name, correlation key and id is still buffered.
    await dedupRedis.del(mark);
    await producer.publish(TOPICS.triggers, trigger);
    await peer.waitFor(() => peer.duplicateMessages.some((m) => m.messageId === eventId), 30_000, "the repeated start message refused");
    await eventually(async () => (await dedupRedis.get(mark)) === "done", "the redelivery handled (its mark again)", 30_000);
    await new Promise((r) => setTimeout(r, 1500)); // time for a second start, were there one

    const started = peer.instancesOf("compensation-saga").slice(before);
    assert.strictEqual(started.length, 1);
    assert.strictEqual(started[0].variables.sagaId, sagaId);
    assert.deepStrictEqual(started[0].startedBy, { messageName: startMessageName("compensation-saga"), correlationKey: eventId });
    assert.deepStrictEqual(
      peer.messages.filter((m) => m.messageId === eventId),
      [{ name: "start:compensation-saga", correlationKey: eventId, timeToLive: 3_600_000, messageId: eventId, variables: { sagaId } }],
    );
    assert.ok(!peer.processStarts.some((s) => s.variables.sagaId === sagaId && s.startMessage === undefined), "not started with CreateProcessInstance");
    assert.ok(
      (await published(TOPICS.deadLetter)).every((d) => d.value.eventId !== eventId),
      "the duplicates are not dead-lettered",
    );
  });
}

describe("shipped models end to end (executing peer, real worker, Redis Streams)", function () {
  let pg: PostgresServer;
  let redis: RedisServer;
  let peer: GatewayPeer;
  let client: Redis;
  let producer: RedisStreamsBus;
  let stop: () => Promise<void>;
  const services: TestService[] = [];
  const calls = callsOf(services);

  before(async () => {
    [pg, redis, peer] = await Promise.all([startPostgres(), startRedis(), GatewayPeer.start({ execute: true })]);
    for (const name of SERVICES) services.push(await startService(name, behaviour(name)));
    client = new Redis(redis.url);
    producer = new RedisStreamsBus({ url: redis.url, clientId: "test-producer" });
    const config = testConfig(peer, await freshDatabase(pg.url, "templates"), services, {
      WORKFLOWS_DIR: workflowsWithExamples(),
      ENABLE_EVENT_STREAMING: "true",
      EVENT_BUS: "redis-streams",
      REDIS_URL: redis.url,
    });
    ({ stop } = await runStreamingWorker(config));
  });
  after(async () => {
    await stop();
    await producer.close();
    client.disconnect();
    await peer.stop();
    for (const s of services) await s.stop();
    await Promise.all([redis.stop(), pg.stop()]);
  });

  const start = (bpmnProcessId: string, variables: Record<string, unknown>) => peer.engine!.createInstance({ bpmnProcessId, variables }).key;

  it("parallel-orchestration: all three services called once, the join completes with the merged results", async () => {
    const pik = start("parallel-orchestration", { orderId: "p-1", amount: 42 });
    const i = await peer.waitForEnd(pik);
    assert.deepStrictEqual(i.endEvents, ["End_Done"]);
    assert.deepStrictEqual(
      ["inventory", "payment", "shipping"].map((s) => calls(s, pik).length),
      [1, 1, 1],
    );
    assert.deepStrictEqual(calls("payment", pik)[0].body, { orderId: "p-1", amount: 42 });
    assert.deepStrictEqual([i.variables.inventory, i.variables.payment, i.variables.shipping], [{ by: "inventory" }, { by: "payment" }, { by: "shipping" }]);
  });

  const examples = [
    {
      id: "ecommerce-order",
      key: "orderId",
      steps: ["payment", "inventory", "shipping", "notification"],
      rejectAt: "shipping",
      undone: ["inventory", "payment"],
      ok: "End_OrderCompleted",
      compensated: "End_OrderCancelled",
    },
    {
      id: "healthcare-patient-journey",
      key: "patientId",
      steps: ["scheduling", "clinical", "billing", "compliance"],
      rejectAt: "compliance",
      undone: ["billing", "clinical", "scheduling"],
      ok: "End_JourneyCompleted",
      compensated: "End_JourneyRolledBack",
    },
    {
      id: "financial-transaction",
      key: "transactionId",
      steps: ["fraud-detection", "authorization", "settlement"],
      rejectAt: "settlement",
      undone: ["authorization"],
      ok: "End_TransactionSettled",
      compensated: "End_TransactionReversed",
    },
  ];
  for (const ex of examples) {
    it(`${ex.id}: the happy path calls ${ex.steps.join(", ")} in order; ${ex.rejectAt} rejected undoes ${ex.undone.join(", ")} in that order`, async () => {
      const ok = start(ex.id, { [ex.key]: `${ex.id}-ok` });
      const bad = start(ex.id, { [ex.key]: `${ex.id}-bad`, rejectAt: ex.rejectAt });
      const okEnd = await peer.waitForEnd(ok);
      assert.deepStrictEqual(okEnd.endEvents, [ex.ok]);
      const order = ex.steps
        .map((s) => ({ s, at: calls(s, ok)[0]?.at ?? NaN }))
        .sort((a, b) => a.at - b.at)
        .map((x) => x.s);
      assert.deepStrictEqual(order, ex.steps);
      assert.deepStrictEqual(okEnd.compensations, []);

      const badEnd = await peer.waitForEnd(bad);
      assert.deepStrictEqual(badEnd.endEvents, [ex.compensated]);
      assert.deepStrictEqual(undoOrder(services, bad, ex.steps), ex.undone);
      const after = ex.steps.slice(ex.steps.indexOf(ex.rejectAt) + 1);
      assert.deepStrictEqual(
        after.map((s) => calls(s, bad).length),
        after.map(() => 0),
        "no step after the rejection runs",
      );
    });
  }

  eventBusTests(() => ({ peer, services, producer, dedupRedis: client, published: (topic) => streamEvents(client, topic) }), "redis", { errorsTopic: true });
});

describe("publish-and-wait and triggers end to end on the mock Kafka cluster (executing peer, real worker)", function () {
  let pg: PostgresServer;
  let redis: RedisServer;
  let kafka: KafkaMockServer;
  let peer: GatewayPeer;
  let client: Redis;
  let producer: KafkaBus;
  let reader: Awaited<ReturnType<typeof kafkaReader>>;
  let stop: (() => Promise<void>) | undefined;
  const services: TestService[] = [];

  before(async () => {
    [pg, redis, kafka, peer] = await Promise.all([startPostgres(), startRedis(), startKafkaMock(), GatewayPeer.start({ execute: true })]);
    for (const name of ["inventory", "payment", "shipping"]) services.push(await startService(name, behaviour(name)));
    client = new Redis(redis.url);
    producer = new KafkaBus({ brokers: kafka.brokers, clientId: "test-producer", onError: () => undefined });
    // The mock cluster creates a topic on its first produce only (no CreateTopics): create the ones consumed here.
    // The bridge dead-letters the inbound warm-ups as invalid.
    for (const topic of [TOPICS.triggers, TOPICS.responses, TOPICS.errors, TOPICS.workflowEvents, TOPICS.deadLetter]) {
      await producer.publish(topic, { key: "warm-up", value: {} });
    }
    reader = await kafkaReader(kafka.brokers, [TOPICS.workflowEvents, TOPICS.deadLetter]);
    const config = testConfig(peer, await freshDatabase(pg.url, "templates_kafka"), services, {
      WORKFLOWS_DIR: TEMPLATES_DIR,
      ENABLE_EVENT_STREAMING: "true",
      EVENT_BUS: "kafka",
      KAFKA_BROKERS: kafka.brokers.join(","),
      REDIS_URL: redis.url,
    });
    ({ stop } = await runStreamingWorker(config));
  });
  after(async () => {
    await stop?.();
    await reader?.consumer.disconnect();
    await producer?.close();
    client?.disconnect();
    await peer?.stop();
    for (const s of services) await s.stop();
    await Promise.all([redis?.stop(), pg?.stop()]);
    await kafka?.stop();
  });

  eventBusTests(() => ({ peer, services, producer, dedupRedis: client, published: (topic) => reader.published(topic) }), "kafka", { errorsTopic: false });
});
