// End-to-end: the real worker (SDK client over gRPC to the gateway peer), real PostgreSQL, real HTTP services.
import * as assert from "assert";
import type { RunningWorker } from "../src/app";
import { eventually } from "./support/eventually";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, getJson, runWorker, testConfig, workflowsDir } from "./support/harness";
import { startService, TestService } from "./support/http-services";
import { RecordingBus } from "./support/memory-bus";
import pino from "pino";
import { startWorker } from "../src/app";
import { ServiceCache } from "../src/discovery/registry";
import { PostgresServer, startPostgres } from "./support/servers";

describe("worker end-to-end: orchestration, retries, rejection", function () {
  let pg: PostgresServer;
  let peer: GatewayPeer;
  let worker: RunningWorker | undefined;
  const services: TestService[] = [];
  let transientCalls = 0;

  before(async () => {
    pg = await startPostgres();
    peer = await GatewayPeer.start();
    services.push(
      await startService("inventory", (c) => ({ status: 200, body: { reserved: c.body.items, by: "inventory" } })),
      await startService("payment", (c) => ({ status: 200, body: { charged: c.body.amount } })),
      await startService("shipping", () => ({ status: 201, body: { label: "L-1" } })),
      await startService("flaky", () => (++transientCalls <= 2 ? { status: 503, body: { error: "busy" } } : { status: 200, body: { ok: transientCalls } })),
      await startService("strict", (c) =>
        c.path === "/api/slow" ? { status: 200, body: {}, delayMs: 1500 } : { status: 422, body: { error: "card declined" } },
      ),
    );
  });
  after(async () => {
    await worker?.stop(1000);
    await peer.stop();
    for (const s of services) await s.stop();
    await pg.stop();
  });

  it("runs parallel branches: each service called once with variables, idempotency key, results under the right variable", async () => {
    const db = await freshDatabase(pg.url, "orchestration");
    const bus = new RecordingBus();
    worker = await runWorker(
      testConfig(peer, db, services, {
        ENABLE_EVENT_STREAMING: "true",
        EVENT_BUS: "redis-streams",
        REDIS_URL: "redis://127.0.0.1:1",
        WORKFLOWS_DIR: workflowsDir(["call-microservice-ghost"]),
      }),
      bus,
    );
    assert.ok(
      peer.deployments.some((d) => d.name === "test.bpmn"),
      "models deployed at start-up",
    );
    assert.ok(worker.jobWorkers.types().includes("call-microservice-ghost"), "types from the models are subscribed");

    const pik = "4000000000000001";
    const vars = { orderId: "o-1", items: ["a", "b"], amount: 42 };
    peer.addJob({ type: "call-microservice-inventory", processInstanceKey: pik, elementId: "ReserveStock", variables: vars });
    peer.addJob({
      type: "call-microservice-payment",
      processInstanceKey: pik,
      elementId: "ChargeCard",
      variables: vars,
      customHeaders: { resultVariable: "paymentResult" },
    });
    peer.addJob({
      type: "call-microservice-shipping",
      processInstanceKey: pik,
      elementId: "CreateLabel",
      variables: vars,
      customHeaders: { path: "/api/labels" },
    });
    await peer.waitFor(() => peer.completions.length === 3, 10000, "3 completions");

    const byElement = Object.fromEntries(peer.completions.map((c) => [c.job.elementId, c.variables]));
    assert.deepStrictEqual(byElement.ReserveStock, { inventory: { reserved: ["a", "b"], by: "inventory" } });
    assert.deepStrictEqual(byElement.ChargeCard, { paymentResult: { charged: 42 } });
    assert.deepStrictEqual(byElement.CreateLabel, { shipping: { label: "L-1" } });

    const [inv, pay, ship] = services;
    assert.strictEqual(inv.calls.length, 1);
    assert.strictEqual(inv.calls[0].path, "/api/process");
    assert.deepStrictEqual(inv.calls[0].body, vars);
    assert.strictEqual(ship.calls[0].path, "/api/labels", "task header path overrides /api/process");
    const keys = [inv, pay, ship].map((s) => s.calls[0].headers["idempotency-key"]);
    assert.ok(keys.every((k) => typeof k === "string" && k.includes(pik)));
    assert.strictEqual(new Set(keys).size, 3, "one key per element");

    const steps = await Promise.all(
      ["ReserveStock", "ChargeCard", "CreateLabel"].map((e) => worker!.saga.get({ processInstanceKey: pik, elementId: e, kind: "call" })),
    );
    assert.deepStrictEqual(
      steps.map((s) => s?.status),
      ["succeeded", "succeeded", "succeeded"],
    );
    assert.deepStrictEqual(steps[1]?.response, { charged: 42 });

    // Events leave through the outbox, published by the relay shortly after the saga log has them.
    await eventually(
      () => bus.on("shop.workflow-events").filter((e) => e.type === "step.completed").length === 3 && bus.on("shop.service-results").length === 3,
      "step events",
    );
    const wf = bus.on("shop.workflow-events");
    assert.strictEqual(wf.filter((e) => e.type === "step.started").length, 3);
    assert.strictEqual(wf.filter((e) => e.type === "step.completed").length, 3);
    assert.strictEqual(bus.on("shop.service-results").length, 3);

    const metrics = await getJson(`http://127.0.0.1:${worker.port}/metrics`);
    assert.match(metrics.text, /worker_jobs_total\{type="call-microservice-payment",outcome="completed"\} 1/);
    assert.match(metrics.text, /worker_call_duration_seconds_count\{service="inventory",kind="call",outcome="success"\} 1/);
    assert.strictEqual((await getJson(`http://127.0.0.1:${worker.port}/actuator/health`)).status, 200);
    const ready = await getJson(`http://127.0.0.1:${worker.port}/actuator/ready`);
    assert.strictEqual(ready.status, 200, JSON.stringify(ready.body));
    assert.deepStrictEqual(Object.keys(ready.body.checks).sort(), ["eventBus", "postgres", "zeebe"]);
    bus.down = true;
    const notReady = await getJson(`http://127.0.0.1:${worker.port}/actuator/ready`);
    assert.strictEqual(notReady.status, 503);
    assert.match(notReady.body.checks.eventBus, /DOWN/);
    bus.down = false;
  });

  it("fails a job for an unknown service naming the service and the known ones", async () => {
    const key = peer.addJob({ type: "call-microservice-ghost", retries: 1 });
    await peer.waitFor(() => peer.failures.some((f) => f.jobKey === key), 10000, "ghost failure");
    const f = peer.failures.find((x) => x.jobKey === key)!;
    assert.match(f.errorMessage, /unknown service "ghost": known services are "flaky", "inventory", "payment", "shipping", "strict"/);
    assert.strictEqual(f.retries, 0);
  });

  it("retries transient failures with retries - 1 and a growing backoff, then succeeds", async () => {
    const key = peer.addJob({ type: "call-microservice-flaky", retries: 3, elementId: "Flaky" });
    await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 15000, "flaky completion");
    const fails = peer.failures.filter((f) => f.jobKey === key);
    assert.deepStrictEqual(
      fails.map((f) => f.retries),
      [2, 1],
    );
    assert.ok(fails[0].retryBackOff >= 50 && fails[0].retryBackOff <= 100, `first backoff ${fails[0].retryBackOff}`);
    assert.ok(fails[1].retryBackOff >= 100 && fails[1].retryBackOff <= 200, `second backoff ${fails[1].retryBackOff}`);
    assert.ok(fails[1].retryBackOff > fails[0].retryBackOff);
    assert.match(fails[0].errorMessage, /flaky: HTTP 503/);
    assert.strictEqual(transientCalls, 3);
    const c = peer.completions.find((x) => x.jobKey === key)!;
    assert.deepStrictEqual(c.variables, { flaky: { ok: 3 } });
    const attempts = await worker!.saga.attempts({ processInstanceKey: c.job.processInstanceKey, elementId: "Flaky", kind: "call" });
    assert.deepStrictEqual(
      attempts.map((a) => [a.attempt, a.outcome, a.httpStatus]),
      [
        [1, "transient", 503],
        [2, "transient", 503],
        [3, "succeeded", 200],
      ],
    );
  });

  it("treats a call exceeding the per-call timeout header as transient", async () => {
    const key = peer.addJob({ type: "call-microservice-strict", retries: 1, elementId: "Slow", customHeaders: { path: "/api/slow", timeoutMs: "200" } });
    await peer.waitFor(() => peer.failures.some((f) => f.jobKey === key), 10000, "timeout failure");
    const f = peer.failures.find((x) => x.jobKey === key)!;
    assert.match(f.errorMessage, /strict: timeout/);
    assert.strictEqual(f.retries, 0, "last retry used: incident");
  });

  it("turns a business rejection (4xx) into the BUSINESS_REJECTION BPMN error", async () => {
    const key = peer.addJob({ type: "call-microservice-strict", retries: 3, elementId: "Strict" });
    await peer.waitFor(() => peer.errors.some((e) => e.jobKey === key), 10000, "bpmn error");
    const e = peer.errors.find((x) => x.jobKey === key)!;
    assert.strictEqual(e.errorCode, "BUSINESS_REJECTION");
    assert.deepStrictEqual(e.variables, { rejection: { service: "strict", elementId: "Strict", status: 422, body: { error: "card declined" } } });
    assert.ok(!peer.failures.some((f) => f.jobKey === key), "no retry for a rejection");
  });

  it("starts workers for a service discovered after start-up, without a restart", async () => {
    const cache = new ServiceCache();
    const late = await startService("latecomer", () => ({ status: 200, body: { hello: "late" } }));
    const other = await startWorker(testConfig(peer, await freshDatabase(pg.url, "latecomer"), []), pino({ level: "silent" }), {
      registry: cache,
      defaultMetrics: false,
    });
    try {
      assert.ok(!other.jobWorkers.types().includes("call-microservice-latecomer"));
      cache.set("latecomer", late.url);
      assert.ok(other.jobWorkers.types().includes("call-microservice-latecomer"));
      assert.ok(other.jobWorkers.types().includes("compensate-latecomer"));
      const key = peer.addJob({ type: "call-microservice-latecomer", elementId: "Late" });
      await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 10000, "late completion");
      assert.deepStrictEqual(peer.completions.find((c) => c.jobKey === key)!.variables, { latecomer: { hello: "late" } });
    } finally {
      await other.stop(500);
      await late.stop();
    }
  });
});
