// The public API an Istio Gateway may expose: start a deployed process, publish a message; nothing else.
import * as assert from "assert";
import pino from "pino";
import { RunningWorker, startWorker } from "../src/app";
import { MAX_BODY_BYTES, PUBLIC_API_PATHS } from "../src/public-api";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, testConfig, workflowsDir } from "./support/harness";
import { PostgresServer, startPostgres } from "./support/servers";

describe("the worker's public API", function () {
  let pg: PostgresServer;
  let peer: GatewayPeer;
  let worker: RunningWorker;
  const post = (path: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) =>
    fetch(`http://127.0.0.1:${worker.port}${path}`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }),
    );

  before(async () => {
    [pg, peer] = await Promise.all([startPostgres(), GatewayPeer.start()]);
    // workflowsDir writes a model with process id "test-process".
    worker = await startWorker(
      testConfig(peer, await freshDatabase(pg.url, "public_api"), [], { WORKFLOWS_DIR: workflowsDir(["call-microservice-inventory"]) }),
      pino({ level: "silent" }),
      { defaultMetrics: false },
    );
  });
  after(async () => {
    await worker?.stop(0);
    await peer.stop();
    await pg.stop();
  });

  it("starts an instance of a process the worker deployed", async () => {
    const res = await post(PUBLIC_API_PATHS.processInstances, { bpmnProcessId: "test-process", variables: { orderId: "o-1" } });
    assert.strictEqual(res.status, 201);
    assert.strictEqual(res.body.bpmnProcessId, "test-process");
    assert.deepStrictEqual(
      peer.processStarts.map((s) => [s.bpmnProcessId, s.variables]),
      [["test-process", { orderId: "o-1" }]],
    );
  });

  it("refuses a process it did not deploy, without calling Zeebe", async () => {
    const res = await post(PUBLIC_API_PATHS.processInstances, { bpmnProcessId: "payroll" });
    assert.strictEqual(res.status, 404);
    assert.match(res.body.error, /process payroll is not one this orchestrator deployed/);
    assert.ok(!peer.processStarts.some((s) => s.bpmnProcessId === "payroll"));
  });

  it("publishes a message with its TTL in milliseconds and its id", async () => {
    const res = await post(PUBLIC_API_PATHS.messages, {
      name: "payment-received",
      correlationKey: "o-1",
      variables: { amount: 5 },
      timeToLiveMs: 60000,
      messageId: "evt-9",
    });
    assert.strictEqual(res.status, 202);
    assert.deepStrictEqual(peer.messages.at(-1), {
      name: "payment-received",
      correlationKey: "o-1",
      timeToLive: 60000,
      messageId: "evt-9",
      variables: { amount: 5 },
    });
  });

  it("answers bad input with 4xx naming the problem", async () => {
    assert.match((await post(PUBLIC_API_PATHS.messages, { correlationKey: "x" })).body.error, /name: /);
    assert.match((await post(PUBLIC_API_PATHS.messages, { name: "m", colour: "blue" })).body.error, /colour/);
    assert.strictEqual((await post(PUBLIC_API_PATHS.messages, "{oops")).status, 400);
    assert.strictEqual((await post(PUBLIC_API_PATHS.messages, { name: "m" }, { "content-type": "text/plain" })).status, 415);
    assert.strictEqual((await post(PUBLIC_API_PATHS.messages, { name: "m", variables: { blob: "x".repeat(MAX_BODY_BYTES) } })).status, 413);
    assert.strictEqual((await post("/api/v1/admin", {})).status, 404);
    const get = await fetch(`http://127.0.0.1:${worker.port}${PUBLIC_API_PATHS.messages}`);
    assert.strictEqual(get.status, 405);
  });

  it("leaves the ops endpoints as they were", async () => {
    assert.strictEqual((await fetch(`http://127.0.0.1:${worker.port}/actuator/health`)).status, 200);
    assert.strictEqual((await fetch(`http://127.0.0.1:${worker.port}/metrics`)).status, 200);
  });
});
