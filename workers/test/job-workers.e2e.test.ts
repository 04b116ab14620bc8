// The job workers a worker runs: which task types it serves for the saga patterns switched on, and what
// happens to a job whose handler crashes. Real worker (SDK over gRPC), gateway peer, PostgreSQL, services.
import * as assert from "assert";
import pino from "pino";
import { RunningWorker, startWorker } from "../src/app";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, runWorker, testConfig, workflowsDir } from "./support/harness";
import { startService, TestService } from "./support/http-services";
import { PostgresServer, startPostgres } from "./support/servers";

describe("worker end-to-end: job workers", function () {
  let pg: PostgresServer;
  let peer: GatewayPeer;
  let inventory: TestService;
  let worker: RunningWorker | undefined;

  before(async () => {
    pg = await startPostgres();
    inventory = await startService("inventory", () => ({ status: 200, body: { ok: true } }));
  });
  // A peer per test: a job one test leaves queued must not reach the next test's worker.
  beforeEach(async () => (peer = await GatewayPeer.start()));
  afterEach(async () => {
    await worker?.stop(1000);
    worker = undefined;
    await peer.stop();
  });
  after(async () => {
    await inventory.stop();
    await pg.stop();
  });

  // A model naming a compensate type is refused at start-up with compensation off (saga-template.e2e.test.ts);
  // a compensate job can still be queued (by another deployment's model): it is left alone.
  it("with compensation switched off, serves no compensate-<service> type and leaves such jobs alone", async () => {
    const config = testConfig(peer, await freshDatabase(pg.url, "nocompensation"), [inventory], {
      SAGA_PATTERNS: "timeout,retry",
      WORKFLOWS_DIR: workflowsDir(["call-microservice-inventory"]),
    });
    worker = await runWorker(config);
    assert.deepStrictEqual(worker.jobWorkers.types(), ["call-microservice-inventory"]);
    assert.deepStrictEqual(worker.jobWorkers.typesForServices(["inventory", "payment"]), ["call-microservice-inventory", "call-microservice-payment"]);

    const pik = "6400000000000001";
    const undo = peer.addJob({ type: "compensate-inventory", processInstanceKey: pik, elementId: "UndoReserve" });
    const call = peer.addJob({ type: "call-microservice-inventory", processInstanceKey: pik, elementId: "Reserve" });
    await peer.waitFor(() => peer.completions.some((c) => c.jobKey === call), 10000, "the call completed");
    await new Promise((r) => setTimeout(r, 500)); // many poll intervals: the compensation job would have been taken by now
    assert.strictEqual(peer.pending("compensate-inventory"), 1, "the compensation job is left for a worker that compensates");
    assert.ok(!peer.completions.some((c) => c.jobKey === undo) && !peer.failures.some((f) => f.jobKey === undo));
    assert.deepStrictEqual(inventory.callsTo("/api/compensate"), []);
  });

  it("with compensation on, serves both the call and the compensate type of every service", async () => {
    worker = await runWorker(testConfig(peer, await freshDatabase(pg.url, "withcompensation"), [inventory]));
    assert.deepStrictEqual(worker.jobWorkers.types(), ["call-microservice-inventory", "compensate-inventory"]);
    assert.deepStrictEqual(worker.jobWorkers.typesForServices(["payment"]), ["call-microservice-payment", "compensate-payment"]);
  });

  it("a crashing handler fails its job with one retry fewer each time, until an incident, with a redacted message", async () => {
    const crashes: string[] = [];
    const config = testConfig(peer, await freshDatabase(pg.url, "crashes"), [inventory], { BACKOFF_BASE_MS: "100" });
    worker = await startWorker(config, pino({ level: "silent" }), {
      defaultMetrics: false,
      extraHandlers: () => ({
        "crashing-task": async (job) => {
          crashes.push(job.key);
          throw new Error("connect to postgres://saga:hunter2@db.internal/saga failed");
        },
      }),
    });
    const key = peer.addJob({ type: "crashing-task", retries: 3 });
    await peer.waitFor(() => peer.failures.filter((f) => f.jobKey === key).length === 3, 10000, "three failures");
    await new Promise((r) => setTimeout(r, 300)); // an incident (retries 0) is never handed out again
    const failures = peer.failures.filter((f) => f.jobKey === key);
    assert.deepStrictEqual(
      failures.map((f) => f.retries),
      [2, 1, 0],
    );
    assert.deepStrictEqual(
      failures.map((f) => f.retryBackOff),
      [100, 100, 100],
    );
    assert.strictEqual(crashes.length, 3);
    for (const f of failures) {
      assert.match(f.errorMessage, /^worker error: connect to postgres:\/\/.*db\.internal\/saga failed$/);
      assert.ok(!f.errorMessage.includes("hunter2"), f.errorMessage);
    }
    const counted = await worker.metrics.registry.getSingleMetricAsString("worker_jobs_total");
    assert.match(counted, /worker_jobs_total{type="crashing-task",outcome="handler_error"} 3/);
  });

  it("a handler that crashes after it completed its job leaves the completion alone", async () => {
    const config = testConfig(peer, await freshDatabase(pg.url, "crashafter"), [inventory]);
    worker = await startWorker(config, pino({ level: "silent" }), {
      defaultMetrics: false,
      extraHandlers: () => ({
        "complete-then-crash": async (job) => {
          await job.complete({ done: true });
          throw new Error("crashed after completing");
        },
      }),
    });
    const key = peer.addJob({ type: "complete-then-crash", retries: 3 });
    await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 10000, "the completion");
    await new Promise((r) => setTimeout(r, 300));
    assert.deepStrictEqual(
      peer.completions.filter((c) => c.jobKey === key).map((c) => c.variables),
      [{ done: true }],
    );
    assert.deepStrictEqual(
      peer.failures.filter((f) => f.jobKey === key),
      [],
      "no failure after the completion",
    );
  });
});
