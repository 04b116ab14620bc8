// End-to-end saga behaviour: compensation of completed steps only, redelivery after a crash,
// dead-lettering a compensation that keeps failing, and a PostgreSQL outage mid-run.
import * as assert from "assert";
import type { RunningWorker } from "../src/app";
import { eventually } from "./support/eventually";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, getJson, runWorker, testConfig } from "./support/harness";
import { startService, TestService } from "./support/http-services";
import { RecordingBus } from "./support/memory-bus";
import { PostgresServer, startPostgres } from "./support/servers";

describe("worker end-to-end: saga", function () {
  let pg: PostgresServer;
  let peer: GatewayPeer;
  let worker: RunningWorker | undefined;
  let bus: RecordingBus;
  let db: string;
  const services: TestService[] = [];
  const svc = (name: string) => services.find((s) => s.name === name)!;

  before(async () => {
    pg = await startPostgres();
    peer = await GatewayPeer.start();
    const ok = (name: string) => startService(name, (c) => (c.path === "/api/compensate" ? { status: 200, body: { undone: c.body.elementId } } : { status: 200, body: { done: name, orderId: c.body.orderId } }));
    services.push(
      await ok("inventory"),
      await ok("payment"),
      await startService("shipping", () => ({ status: 409, body: { error: "no carrier" } })),
      await startService("ledger", (c) => (c.path === "/api/compensate" ? { status: 500, body: { error: "ledger down" } } : { status: 200, body: { entry: 7 } })),
      await startService("slow", () => ({ status: 200, body: { slow: true }, delayMs: 400 })),
      await startService("glacial", () => ({ status: 200, body: {}, delayMs: 5000 })),
    );
    db = await freshDatabase(pg.url, "saga");
    bus = new RecordingBus();
    worker = await runWorker(testConfig(peer, db, services, { ENABLE_EVENT_STREAMING: "true", EVENT_BUS: "redis-streams", REDIS_URL: "redis://127.0.0.1:1" }), bus);
  });
  after(async () => {
    await worker?.stop(1000);
    await peer.stop();
    for (const s of services) await s.stop();
    await pg.stop();
  });

  it("third step rejected: BPMN error, then compensations for the completed steps only, each once", async () => {
    const pik = "5000000000000001";
    const vars = { orderId: "o-9" };
    for (const [type, el] of [["inventory", "Reserve"], ["payment", "Charge"], ["shipping", "Ship"]]) {
      peer.addJob({ type: `call-microservice-${type}`, processInstanceKey: pik, elementId: el, variables: vars });
      await peer.waitFor(() => peer.completions.length + peer.errors.length === ["Reserve", "Charge", "Ship"].indexOf(el) + 1, 10000, el);
    }
    assert.strictEqual(peer.errors.length, 1);
    assert.strictEqual(peer.errors[0].errorCode, "BUSINESS_REJECTION");

    // Zeebe now runs the compensation handlers (all three types exist in the model; the engine
    // would only activate completed ones, and the worker itself also refuses to undo a step that never succeeded).
    const comp = [
      peer.addJob({ type: "compensate-inventory", processInstanceKey: pik, elementId: "UndoReserve" }),
      peer.addJob({ type: "compensate-payment", processInstanceKey: pik, elementId: "UndoCharge", customHeaders: { compensates: "Charge" } }),
      peer.addJob({ type: "compensate-shipping", processInstanceKey: pik, elementId: "UndoShip" }),
    ];
    await peer.waitFor(() => comp.every((k) => peer.completions.some((c) => c.jobKey === k)), 10000, "compensations");

    const undoInv = svc("inventory").callsTo("/api/compensate");
    const undoPay = svc("payment").callsTo("/api/compensate");
    assert.strictEqual(undoInv.length, 1);
    assert.strictEqual(undoPay.length, 1);
    assert.strictEqual(svc("shipping").callsTo("/api/compensate").length, 0, "rejected step is not compensated");
    assert.deepStrictEqual(undoPay[0].body.request, vars);
    assert.deepStrictEqual(undoPay[0].body.response, { done: "payment", orderId: "o-9" });
    assert.strictEqual(undoPay[0].body.elementId, "Charge");
    assert.strictEqual(undoPay[0].body.idempotencyKey, svc("payment").callsTo("/api/process")[0].headers["idempotency-key"]);

    // A redelivered compensation job does not call again.
    peer.redeliver(peer.completions.find((c) => c.jobKey === comp[1])!.job);
    await peer.waitFor(() => peer.completions.filter((c) => c.jobKey === comp[1]).length === 2, 10000, "redelivered compensation");
    assert.strictEqual(svc("payment").callsTo("/api/compensate").length, 1);

    const charge = await worker!.saga.get({ processInstanceKey: pik, elementId: "Charge", kind: "call" });
    assert.strictEqual(charge?.status, "compensated");
    const undoShip = await worker!.saga.get({ processInstanceKey: pik, elementId: "UndoShip", kind: "compensate" });
    assert.strictEqual(undoShip?.status, "skipped");

    // Events leave through the outbox: the relay publishes them shortly after the saga log has them.
    await eventually(() => bus.on("shop.workflow-events").filter((e) => e.processInstanceKey === pik && e.type === "step.compensated").length === 2, "step.compensated events");
    await eventually(() => bus.on("shop.compensation-triggers").length === 2, "compensation triggers");
    const wf = bus.on("shop.workflow-events").filter((e) => e.processInstanceKey === pik);
    assert.deepStrictEqual(wf.filter((e) => e.type === "step.compensated").map((e) => e.elementId).sort(), ["Charge", "Reserve"]);
    assert.ok(wf.some((e) => e.type === "step.failed" && e.elementId === "Ship" && e.rejected === true));
    assert.deepStrictEqual(bus.on("shop.compensation-triggers").map((e) => e.compensates[0]).sort(), ["Charge", "Reserve"]);
  });

  it("a step redelivered after a crash (completion lost, new worker process) is not executed twice", async () => {
    const pik = "5000000000000002";
    const callsBefore = svc("inventory").callsTo("/api/process").length;
    const key = peer.addJob({ type: "call-microservice-inventory", processInstanceKey: pik, elementId: "Reserve", variables: { orderId: "o-crash" } });
    peer.loseCompletionOf(key);
    await peer.waitFor(() => svc("inventory").callsTo("/api/process").length === callsBefore + 1, 10000, "first call");
    const step = async () => worker!.saga.get({ processInstanceKey: pik, elementId: "Reserve", kind: "call" });
    const deadline = Date.now() + 5000;
    while ((await step())?.status !== "succeeded" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const job = { ...peer.completions[0].job, key, processInstanceKey: pik, elementId: "Reserve", elementInstanceKey: key, type: "call-microservice-inventory", variables: { orderId: "o-crash" }, customHeaders: {}, retries: 3 };
    assert.ok(!peer.completions.some((c) => c.jobKey === key), "the first completion was lost");

    // The worker "crashes": a new one, sharing only the database, gets the job again after its timeout.
    await worker!.stop(500);
    worker = await runWorker(testConfig(peer, db, services, { ENABLE_EVENT_STREAMING: "true", EVENT_BUS: "redis-streams", REDIS_URL: "redis://127.0.0.1:1" }), bus);
    peer.redeliver(job);
    await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 10000, "completion from the log");
    assert.strictEqual(svc("inventory").callsTo("/api/process").length, callsBefore + 1, "service called once");
    assert.deepStrictEqual(peer.completions.find((c) => c.jobKey === key)!.variables, { inventory: { done: "inventory", orderId: "o-crash" } });
    const m = await getJson(`http://127.0.0.1:${worker.port}/metrics`);
    assert.match(m.text, /worker_redeliveries_served_from_log_total\{service="inventory"\} 1/);
  });

  it("a compensation that keeps failing is dead-lettered with what is needed to replay it, logged, counted, left as an incident", async () => {
    const pik = "5000000000000003";
    peer.addJob({ type: "call-microservice-ledger", processInstanceKey: pik, elementId: "Book", variables: { orderId: "o-dl", amount: 5 } });
    await peer.waitFor(() => peer.completions.some((c) => c.job.processInstanceKey === pik), 10000, "booking");
    const key = peer.addJob({ type: "compensate-ledger", processInstanceKey: pik, elementId: "UndoBook", retries: 3 });
    await peer.waitFor(() => peer.failures.some((f) => f.jobKey === key && f.retries === 0), 15000, "incident");
    const fails = peer.failures.filter((f) => f.jobKey === key);
    assert.deepStrictEqual(fails.map((f) => f.retries), [2, 1, 0]);
    assert.ok(fails[1].retryBackOff > fails[0].retryBackOff);
    assert.match(fails[2].errorMessage, /dead-lettered/);
    assert.strictEqual(svc("ledger").callsTo("/api/compensate").length, 3);

    await eventually(() => bus.on("shop.dead-letter").length > 0, "the dead letter");
    const dl = bus.on("shop.dead-letter");
    assert.strictEqual(dl.length, 1);
    assert.strictEqual(dl[0].processInstanceKey, pik);
    assert.strictEqual(dl[0].service, "ledger");
    assert.strictEqual(dl[0].attempts, 3);
    assert.strictEqual(dl[0].replay[0].url, `${svc("ledger").url}/api/compensate`);
    assert.deepStrictEqual(dl[0].replay[0].body.request, { orderId: "o-dl", amount: 5 });
    assert.deepStrictEqual(dl[0].replay[0].body.response, { entry: 7 });
    assert.strictEqual(dl[0].replay[0].headers["Idempotency-Key"], svc("ledger").callsTo("/api/compensate")[0].headers["idempotency-key"]);

    const row = await worker!.saga.get({ processInstanceKey: pik, elementId: "UndoBook", kind: "compensate" });
    assert.strictEqual(row?.status, "dead_lettered");
    const m = await getJson(`http://127.0.0.1:${worker!.port}/metrics`);
    assert.match(m.text, /worker_dead_letters_total\{service="ledger"\} 1/);
  });

  it("PostgreSQL stopped mid-run: not ready, jobs held with their retries, no call without a log, recovery when it is back", async () => {
    await pg.pause();
    try {
      const ready = await getJson(`http://127.0.0.1:${worker!.port}/actuator/ready`);
      assert.strictEqual(ready.status, 503);
      assert.match(ready.body.checks.postgres, /DOWN/);
      assert.strictEqual(ready.body.checks.zeebe, "UP");

      const key = peer.addJob({ type: "call-microservice-payment", processInstanceKey: "5000000000000004", elementId: "Charge", variables: { orderId: "o-pg" }, retries: 3 });
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(peer.pending("call-microservice-payment") === 0 && !peer.completions.some((c) => c.jobKey === key), "the job is held by the worker");
      assert.deepStrictEqual(peer.failures.filter((f) => f.jobKey === key && f.retries < 3), [], "retries are not used up by an outage");
      assert.strictEqual(svc("payment").calls.filter((c) => c.body?.orderId === "o-pg").length, 0, "no call without a saga log");
    } finally {
      await pg.resume();
    }
    await peer.waitFor(() => peer.completions.some((c) => c.job.processInstanceKey === "5000000000000004"), 15000, "completion after recovery");
    assert.strictEqual((await getJson(`http://127.0.0.1:${worker!.port}/actuator/ready`)).status, 200);
    assert.strictEqual(svc("payment").calls.filter((c) => c.body?.orderId === "o-pg").length, 1);
  });

  it("stop() drains a running job before closing", async () => {
    const key = peer.addJob({ type: "call-microservice-slow", elementId: "Slow" });
    await peer.waitFor(() => svc("slow").calls.length === 1, 10000, "slow call started");
    const abandoned = await worker!.stop(5000);
    worker = undefined;
    assert.strictEqual(abandoned, 0);
    assert.ok(peer.completions.some((c) => c.jobKey === key), "the running job completed during the drain");
  });

  it("stop() gives up on a job that outlives the drain bound, within the bound", async () => {
    worker = await runWorker(testConfig(peer, db, services), bus);
    const key = peer.addJob({ type: "call-microservice-glacial", elementId: "Glacial" });
    await peer.waitFor(() => svc("glacial").calls.length === 1, 10000, "glacial call started");
    const t0 = Date.now();
    const abandoned = await worker.stop(300);
    worker = undefined;
    assert.strictEqual(abandoned, 1);
    assert.ok(Date.now() - t0 < 1900, `stop took ${Date.now() - t0} ms`);
    assert.ok(!peer.completions.some((c) => c.jobKey === key));
  });
});
