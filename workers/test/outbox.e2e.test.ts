// Issue 7 item 9, end to end: a dead letter (and every step event) reaches the bus even when the bus is down
// while the saga runs; nothing is lost and nothing is published twice.
import * as assert from "assert";
import type { RunningWorker } from "../src/app";
import { GatewayPeer } from "./support/gateway-peer";
import { eventually } from "./support/eventually";
import { freshDatabase, runWorker, testConfig } from "./support/harness";
import { startService, TestService } from "./support/http-services";
import { RecordingBus } from "./support/memory-bus";
import { PostgresServer, startPostgres } from "./support/servers";

describe("worker end-to-end: events and dead letters through the outbox", function () {
  this.timeout(60_000);
  let pg: PostgresServer;
  let peer: GatewayPeer;
  let worker: RunningWorker | undefined;
  let ledger: TestService;
  const bus = new RecordingBus();

  before(async () => {
    [pg, peer] = await Promise.all([startPostgres(), GatewayPeer.start()]);
    ledger = await startService("ledger", (c) =>
      c.path === "/api/compensate" ? { status: 500, body: { error: "ledger down" } } : { status: 200, body: { entry: 7 } },
    );
    const db = await freshDatabase(pg.url, "outbox_e2e");
    worker = await runWorker(
      testConfig(peer, db, [ledger], { ENABLE_EVENT_STREAMING: "true", EVENT_BUS: "redis-streams", REDIS_URL: "redis://127.0.0.1:1" }),
      bus,
    );
  });
  after(async () => {
    await worker?.stop(1000);
    await peer.stop();
    await ledger.stop();
    await pg.stop();
  });

  it("a dead letter written while the bus is down is published once it is back, once, with its event id", async () => {
    const pik = "6000000000000001";
    bus.down = true;
    peer.addJob({ type: "call-microservice-ledger", processInstanceKey: pik, elementId: "Book", variables: { orderId: "o-out" } });
    await peer.waitFor(() => peer.completions.some((c) => c.job.processInstanceKey === pik), 10_000, "booking");
    const key = peer.addJob({ type: "compensate-ledger", processInstanceKey: pik, elementId: "UndoBook", retries: 2 });
    await peer.waitFor(() => peer.failures.some((f) => f.jobKey === key && f.retries === 0), 15_000, "incident");
    const row = await worker!.saga.get({ processInstanceKey: pik, elementId: "UndoBook", kind: "compensate" });
    assert.strictEqual(row?.status, "dead_lettered");
    await new Promise((r) => setTimeout(r, 300));
    assert.strictEqual(bus.published.length, 0, "nothing could be published while the bus was down");

    bus.down = false; // the outage ends: the relay publishes the backlog
    await eventually(() => bus.on("shop.dead-letter").length === 1, "the dead letter on shop.dead-letter", 40_000);
    const deadLetter = bus.published.find((p) => p.topic === "shop.dead-letter")!;
    assert.strictEqual((deadLetter.event.value as { service: string }).service, "ledger");
    assert.strictEqual(deadLetter.event.key, pik);
    assert.match(deadLetter.event.headers!["event-id"]!, /^[0-9a-f-]{36}$/);

    // Every step event of the saga arrives too, in the order written, each exactly once.
    await eventually(
      () => bus.on("shop.workflow-events").some((e) => e.type === "step.failed" && e.deadLettered === true),
      "step.failed of the dead-lettered compensation",
      40_000,
    );
    const workflow = bus.published.filter(
      (p) => p.topic === "shop.workflow-events" && (p.event.value as { processInstanceKey: string }).processInstanceKey === pik,
    );
    assert.deepStrictEqual(
      workflow.map((p) => (p.event.value as { type: string; elementId: string }).type + " " + (p.event.value as { elementId: string }).elementId),
      ["step.started Book", "step.completed Book", "step.failed UndoBook"],
    );
    await new Promise((r) => setTimeout(r, 500));
    const ids = bus.published.map((p) => p.event.headers!["event-id"]);
    assert.strictEqual(new Set(ids).size, ids.length, "no event published twice");
  });
});
