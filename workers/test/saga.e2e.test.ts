// End-to-end saga behaviour: compensation of completed steps only (the compensation-saga template
// executed by the gateway peer), redelivery after a crash, dead-lettering a compensation that keeps
// failing, and a PostgreSQL outage mid-run.
import * as assert from "assert";
import type { RunningWorker } from "../src/app";
import { eventually } from "./support/eventually";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, getJson, runWorker, TEMPLATES_DIR, testConfig } from "./support/harness";
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
    peer = await GatewayPeer.start({ execute: true });
    // Payment's compensation fails for order o-dl (dead letter); every other undo succeeds.
    const ok = (name: string) =>
      startService(name, (c) => {
        if (c.path !== "/api/compensate") return { status: 200, body: { done: name, orderId: c.body.orderId } };
        if (name === "payment" && c.body.request?.orderId === "o-dl") return { status: 500, body: { error: "refund system down" } };
        return { status: 200, body: { undone: c.body.elementId } };
      });
    services.push(
      await ok("inventory"),
      await ok("payment"),
      await startService("shipping", () => ({ status: 409, body: { error: "no carrier" } })),
      await startService("slow", () => ({ status: 200, body: { slow: true }, delayMs: 400 })),
      await startService("glacial", () => ({ status: 200, body: {}, delayMs: 5000 })),
    );
    db = await freshDatabase(pg.url, "saga");
    bus = new RecordingBus();
    worker = await runWorker(
      testConfig(peer, db, services, {
        ENABLE_EVENT_STREAMING: "true",
        EVENT_BUS: "redis-streams",
        REDIS_URL: "redis://127.0.0.1:1",
        WORKFLOWS_DIR: TEMPLATES_DIR,
      }),
      bus,
    );
  });
  after(async () => {
    await worker?.stop(1000);
    await peer.stop();
    for (const s of services) await s.stop();
    await pg.stop();
  });

  it("third step rejected: BPMN error, then the handlers of the completed steps only, in reverse order, each once", async () => {
    const vars = { sagaId: "o-9", orderId: "o-9" };
    const pik = peer.engine!.createInstance({ bpmnProcessId: "compensation-saga", variables: vars }).key;
    const instance = await peer.waitForEnd(pik);
    assert.deepStrictEqual(instance.endEvents, ["End_SagaCompensated"]);
    const rejection = peer.errors.find((e) => e.job.processInstanceKey === pik)!;
    assert.strictEqual(rejection.errorCode, "BUSINESS_REJECTION");
    assert.strictEqual(rejection.job.elementId, "Task_Shipping");

    const undoInv = svc("inventory")
      .callsTo("/api/compensate")
      .filter((c) => c.body.processInstanceKey === pik);
    const undoPay = svc("payment")
      .callsTo("/api/compensate")
      .filter((c) => c.body.processInstanceKey === pik);
    assert.strictEqual(undoInv.length, 1);
    assert.strictEqual(undoPay.length, 1);
    assert.ok(undoPay[0].at <= undoInv[0].at, "payment (completed last) is undone first");
    assert.strictEqual(svc("shipping").callsTo("/api/compensate").length, 0, "rejected step is not compensated");
    const payCall = svc("payment")
      .callsTo("/api/process")
      .find((c) => c.body.orderId === "o-9")!;
    assert.deepStrictEqual(undoPay[0].body.request, payCall.body, "the undo gets the step's request as sent");
    assert.deepStrictEqual(payCall.body, { ...vars, inventory: { done: "inventory", orderId: "o-9" } });
    assert.deepStrictEqual(undoPay[0].body.response, { done: "payment", orderId: "o-9" });
    assert.strictEqual(undoPay[0].body.elementId, "Task_Payment");
    assert.strictEqual(undoPay[0].body.idempotencyKey, payCall.headers["idempotency-key"]);

    // A compensation job handed out again (crash before the completion arrived) does not call again.
    const payUndoJob = peer.completions.find((c) => c.job.processInstanceKey === pik && c.job.type === "compensate-payment")!;
    peer.redeliver(payUndoJob.job);
    await peer.waitFor(() => peer.completions.filter((c) => c.jobKey === payUndoJob.jobKey).length === 2, 10000, "redelivered compensation");
    assert.strictEqual(
      svc("payment")
        .callsTo("/api/compensate")
        .filter((c) => c.body.processInstanceKey === pik).length,
      1,
    );

    const charge = await worker!.saga.get({ processInstanceKey: pik, elementId: "Task_Payment", kind: "call" });
    assert.strictEqual(charge?.status, "compensated");
    const undoShip = await worker!.saga.get({ processInstanceKey: pik, elementId: "Task_CompensateShipping", kind: "compensate" });
    assert.strictEqual(undoShip, undefined, "Zeebe never starts the handler of the rejected step");

    // Events leave through the outbox: the relay publishes them shortly after the saga log has them.
    await eventually(
      () => bus.on("shop.workflow-events").filter((e) => e.processInstanceKey === pik && e.type === "step.compensated").length === 2,
      "step.compensated events",
    );
    await eventually(() => bus.on("shop.compensation-triggers").filter((e) => e.processInstanceKey === pik).length === 2, "compensation triggers");
    const wf = bus.on("shop.workflow-events").filter((e) => e.processInstanceKey === pik);
    assert.deepStrictEqual(
      wf.filter((e) => e.type === "step.compensated").map((e) => e.elementId),
      ["Task_Payment", "Task_Inventory"],
    );
    assert.ok(wf.some((e) => e.type === "step.failed" && e.elementId === "Task_Shipping" && e.rejected === true));
    assert.deepStrictEqual(
      bus
        .on("shop.compensation-triggers")
        .filter((e) => e.processInstanceKey === pik)
        .map((e) => e.compensates[0]),
      ["Task_Payment", "Task_Inventory"],
    );
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
    const job = {
      ...peer.completions[0].job,
      key,
      processInstanceKey: pik,
      elementId: "Reserve",
      elementInstanceKey: key,
      type: "call-microservice-inventory",
      variables: { orderId: "o-crash" },
      customHeaders: {},
      retries: 3,
    };
    assert.ok(!peer.completions.some((c) => c.jobKey === key), "the first completion was lost");

    // The worker "crashes": a new one, sharing only the database, gets the job again after its timeout.
    await worker!.stop(500);
    worker = await runWorker(
      testConfig(peer, db, services, { ENABLE_EVENT_STREAMING: "true", EVENT_BUS: "redis-streams", REDIS_URL: "redis://127.0.0.1:1" }),
      bus,
    );
    peer.redeliver(job);
    await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 10000, "completion from the log");
    assert.strictEqual(svc("inventory").callsTo("/api/process").length, callsBefore + 1, "service called once");
    assert.deepStrictEqual(peer.completions.find((c) => c.jobKey === key)!.variables, { inventory: { done: "inventory", orderId: "o-crash" } });
    const m = await getJson(`http://127.0.0.1:${worker.port}/metrics`);
    assert.match(m.text, /worker_redeliveries_served_from_log_total\{service="inventory"\} 1/);
  });

  it("a compensation that keeps failing is dead-lettered with what is needed to replay it, logged, counted, left as an incident", async () => {
    const vars = { sagaId: "o-dl", orderId: "o-dl" };
    const pik = peer.engine!.createInstance({ bpmnProcessId: "compensation-saga", variables: vars }).key;
    await peer.waitFor(() => peer.instance(pik).incidents.length === 1, 20000, "incident");
    const fails = peer.failures.filter((f) => f.job.processInstanceKey === pik && f.job.type === "compensate-payment");
    assert.deepStrictEqual(
      fails.map((f) => f.retries),
      [4, 3, 2, 1, 0],
      "the model's 5 retries",
    );
    assert.ok(fails[1].retryBackOff > fails[0].retryBackOff);
    assert.match(fails[4].errorMessage, /dead-lettered/);
    const undoCalls = svc("payment")
      .callsTo("/api/compensate")
      .filter((c) => c.body.processInstanceKey === pik);
    assert.strictEqual(undoCalls.length, 5);
    const instance = peer.instance(pik);
    assert.strictEqual(instance.state, "ACTIVE", "the instance waits at the incident");
    assert.strictEqual(instance.incidents[0].elementId, "Task_CompensatePayment");
    assert.strictEqual(
      svc("inventory")
        .callsTo("/api/compensate")
        .filter((c) => c.body.processInstanceKey === pik).length,
      0,
      "inventory is not undone before payment",
    );

    // The dead letter leaves through the outbox, behind the instance's earlier events.
    await eventually(() => bus.on("shop.dead-letter").some((d) => d.processInstanceKey === pik), "the dead letter");
    const dl = bus.on("shop.dead-letter").filter((d) => d.processInstanceKey === pik);
    assert.strictEqual(dl.length, 1);
    assert.strictEqual(dl[0].service, "payment");
    assert.strictEqual(dl[0].attempts, 5);
    assert.strictEqual(dl[0].replay[0].url, `${svc("payment").url}/api/compensate`);
    assert.deepStrictEqual(dl[0].replay[0].body.request, { ...vars, inventory: { done: "inventory", orderId: "o-dl" } });
    assert.deepStrictEqual(dl[0].replay[0].body.response, { done: "payment", orderId: "o-dl" });
    assert.strictEqual(dl[0].replay[0].headers["Idempotency-Key"], undoCalls[0].headers["idempotency-key"]);

    const row = await worker!.saga.get({ processInstanceKey: pik, elementId: "Task_CompensatePayment", kind: "compensate" });
    assert.strictEqual(row?.status, "dead_lettered");
    const m = await getJson(`http://127.0.0.1:${worker!.port}/metrics`);
    assert.match(m.text, /worker_dead_letters_total\{service="payment"\} 1/);
    peer.engine!.cancel(pik);
  });

  it("PostgreSQL stopped mid-run: not ready, jobs held with their retries, no call without a log, recovery when it is back", async () => {
    await pg.pause();
    try {
      const ready = await getJson(`http://127.0.0.1:${worker!.port}/actuator/ready`);
      assert.strictEqual(ready.status, 503);
      assert.match(ready.body.checks.postgres, /DOWN/);
      assert.strictEqual(ready.body.checks.zeebe, "UP");

      const key = peer.addJob({
        type: "call-microservice-payment",
        processInstanceKey: "5000000000000004",
        elementId: "Charge",
        variables: { orderId: "o-pg" },
        retries: 3,
      });
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(peer.pending("call-microservice-payment") === 0 && !peer.completions.some((c) => c.jobKey === key), "the job is held by the worker");
      assert.deepStrictEqual(
        peer.failures.filter((f) => f.jobKey === key && f.retries < 3),
        [],
        "retries are not used up by an outage",
      );
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
    assert.ok(
      peer.completions.some((c) => c.jobKey === key),
      "the running job completed during the drain",
    );
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
