// Every shipped model executed end to end on the executing gateway peer with the real worker,
// PostgreSQL, Redis Streams and loopback HTTP services: the parallel template, the three seed
// examples (happy and compensating paths), publish-and-wait with the responses and errors topics,
// and a trigger delivered twice.
import * as assert from "assert";
import * as fs from "fs";
import Redis from "ioredis";
import * as path from "path";
import { RedisStreamsBus } from "../src/events/redis-streams-bus";
import { fromStreamEntry } from "../src/events/redis-streams-mapping";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, runStreamingWorker, tempDir, TEMPLATES_DIR, testConfig } from "./support/harness";
import { RecordedCall, startService, TestService } from "./support/http-services";
import { PostgresServer, RedisServer, startPostgres, startRedis } from "./support/servers";

const SERVICES = ["inventory", "payment", "shipping", "notification", "scheduling", "clinical", "billing", "compliance", "fraud-detection", "authorization", "settlement"];

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

describe("shipped models end to end (executing peer, real worker, Redis Streams)", function () {
  let pg: PostgresServer;
  let redis: RedisServer;
  let peer: GatewayPeer;
  let client: Redis;
  let producer: RedisStreamsBus;
  let stop: () => Promise<void>;
  const services: TestService[] = [];
  const svc = (name: string) => services.find((s) => s.name === name)!;

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

  const calls = (name: string, pik: string, p = "/api/process") =>
    svc(name).callsTo(p).filter((c) => (p === "/api/compensate" ? c.body.processInstanceKey === pik : String(c.headers["idempotency-key"]).includes(pik)));
  const stream = async (topic: string) => (await client.xrange(topic, "-", "+")).map(([id, f]) => fromStreamEntry(topic, id, f).value as Record<string, any>);
  const start = (bpmnProcessId: string, variables: Record<string, unknown>) => peer.engine!.createInstance({ bpmnProcessId, variables }).key;

  /** The undo calls of an instance, in the order they reached the services, each after the previous one finished. */
  function undoOrder(pik: string, names: string[]): string[] {
    const undo = names.flatMap((n) => calls(n, pik, "/api/compensate").map((c) => ({ n, at: c.at })));
    undo.sort((a, b) => a.at - b.at);
    for (let i = 1; i < undo.length; i++) assert.ok(undo[i].at >= undo[i - 1].at + 90, `${undo[i].n} undone after ${undo[i - 1].n}'s undo finished`);
    return undo.map((u) => u.n);
  }

  it("parallel-orchestration: all three services called once, the join completes with the merged results", async () => {
    const pik = start("parallel-orchestration", { orderId: "p-1", amount: 42 });
    const i = await peer.waitForEnd(pik);
    assert.deepStrictEqual(i.endEvents, ["End_Done"]);
    assert.deepStrictEqual(["inventory", "payment", "shipping"].map((s) => calls(s, pik).length), [1, 1, 1]);
    assert.deepStrictEqual(calls("payment", pik)[0].body, { orderId: "p-1", amount: 42 });
    assert.deepStrictEqual([i.variables.inventory, i.variables.payment, i.variables.shipping], [{ by: "inventory" }, { by: "payment" }, { by: "shipping" }]);
  });

  const examples = [
    { id: "ecommerce-order", key: "orderId", steps: ["payment", "inventory", "shipping", "notification"], rejectAt: "shipping", undone: ["inventory", "payment"], ok: "End_OrderCompleted", compensated: "End_OrderCancelled" },
    { id: "healthcare-patient-journey", key: "patientId", steps: ["scheduling", "clinical", "billing", "compliance"], rejectAt: "compliance", undone: ["billing", "clinical", "scheduling"], ok: "End_JourneyCompleted", compensated: "End_JourneyRolledBack" },
    { id: "financial-transaction", key: "transactionId", steps: ["fraud-detection", "authorization", "settlement"], rejectAt: "settlement", undone: ["authorization"], ok: "End_TransactionSettled", compensated: "End_TransactionReversed" },
  ];
  for (const ex of examples) {
    it(`${ex.id}: the happy path calls ${ex.steps.join(", ")} in order; ${ex.rejectAt} rejected undoes ${ex.undone.join(", ")} in that order`, async () => {
      const ok = start(ex.id, { [ex.key]: `${ex.id}-ok` });
      const bad = start(ex.id, { [ex.key]: `${ex.id}-bad`, rejectAt: ex.rejectAt });
      const okEnd = await peer.waitForEnd(ok);
      assert.deepStrictEqual(okEnd.endEvents, [ex.ok]);
      const order = ex.steps.map((s) => ({ s, at: calls(s, ok)[0]?.at ?? NaN })).sort((a, b) => a.at - b.at).map((x) => x.s);
      assert.deepStrictEqual(order, ex.steps);
      assert.deepStrictEqual(okEnd.compensations, []);

      const badEnd = await peer.waitForEnd(bad);
      assert.deepStrictEqual(badEnd.endEvents, [ex.compensated]);
      assert.deepStrictEqual(undoOrder(bad, ex.steps), ex.undone);
      const after = ex.steps.slice(ex.steps.indexOf(ex.rejectAt) + 1);
      assert.deepStrictEqual(after.map((s) => calls(s, bad).length), after.map(() => 0), "no step after the rejection runs");
    });
  }

  it("publish-and-wait: the request is published, a responses event correlates and the saga completes", async () => {
    const pik = start("compensation-saga", { sagaId: "pw-1" });
    await peer.waitFor(() => peer.instance(pik).subscriptions.size > 0, 15000, "waiting for confirmation");
    const published = (await client.xrange("shop.workflow-events", "-", "+")).map(([id, f]) => ({ ...fromStreamEntry("shop.workflow-events", id, f), headers: JSON.parse(f[f.indexOf("headers") + 1]) }));
    const request = published.find((e) => e.headers["process-instance-key"] === pik && e.headers["element-id"] === "Task_PublishSagaCompleted");
    assert.ok(request, "the saga's request was published");
    assert.strictEqual(request.key, "pw-1");
    await producer.publish("shop.responses", { key: "pw-1", value: { messageName: "saga-confirmed", correlationKey: "pw-1", variables: { confirmedBy: "erp" } }, headers: { "event-id": "resp-pw-1" } });
    const i = await peer.waitForEnd(pik);
    assert.deepStrictEqual(i.endEvents, ["End_SagaCompleted"]);
    assert.strictEqual(i.variables.confirmedBy, "erp");
  });

  it("publish-and-wait: an errors event sends the waiting saga down its compensation path (all three steps undone in reverse)", async () => {
    const pik = start("compensation-saga", { sagaId: "pw-2" });
    await peer.waitFor(() => peer.instance(pik).subscriptions.size > 0, 15000, "waiting for confirmation");
    await producer.publish("shop.errors", { key: "pw-2", value: { correlationKey: "pw-2", error: "carrier lost the parcel" }, headers: { "event-id": "err-pw-2" } });
    const i = await peer.waitForEnd(pik);
    assert.deepStrictEqual(i.endEvents, ["End_SagaCompensated"]);
    assert.deepStrictEqual(undoOrder(pik, ["inventory", "payment", "shipping"]), ["shipping", "payment", "inventory"]);
    assert.deepStrictEqual(i.variables.compensationRequest, { error: "carrier lost the parcel", eventId: "err-pw-2" });
  });

  it("a trigger event delivered twice starts one instance", async () => {
    const before = peer.instancesOf("compensation-saga").length;
    const trigger = { key: "tr-1", value: { bpmnProcessId: "compensation-saga", variables: { sagaId: "tr-1" } }, headers: { "event-id": "trigger-tr-1" } };
    await producer.publish("shop.triggers", trigger);
    await producer.publish("shop.triggers", trigger);
    await peer.waitFor(() => peer.instancesOf("compensation-saga").length > before, 15000, "an instance from the trigger");
    await new Promise((r) => setTimeout(r, 1500)); // time for a second start, were there one
    const started = peer.instancesOf("compensation-saga").slice(before);
    assert.strictEqual(started.length, 1);
    assert.strictEqual(started[0].variables.sagaId, "tr-1");
    assert.ok((await stream("shop.dead-letter")).every((d) => d.eventId !== "trigger-tr-1"), "the duplicate is not dead-lettered");
  });
});
