// Steps run once: keyed on the element instance (loops, multi-instance), each job's saga-log write
// standing alone, and no step called by two deliveries at once. Real worker, gateway peer, PostgreSQL.
import * as assert from "assert";
import type { RunningWorker } from "../src/app";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, runWorker, testConfig } from "./support/harness";
import { maxOpenAtOnce, startService, TestService } from "./support/http-services";
import { PostgresServer, startPostgres } from "./support/servers";

const JOB_TIMEOUT_MS = 1500;

describe("worker end-to-end: each step runs once", function () {
  let pg: PostgresServer;
  let peer: GatewayPeer;
  let worker: RunningWorker;
  const services: TestService[] = [];
  const svc = (name: string) => services.find((s) => s.name === name)!;
  let releaseBatch: () => void = () => undefined;
  let batchReplies = new Promise<void>((r) => (releaseBatch = r));

  before(async () => {
    pg = await startPostgres();
    peer = await GatewayPeer.start();
    services.push(
      await startService("payment", (c) =>
        c.path === "/api/compensate" ? { status: 200, body: { undone: c.body.request.item } } : { status: 200, body: { charged: c.body.item } },
      ),
      await startService("ledger", () => ({ status: 200, body: { booked: true } })),
      // Answers every call at the same moment, so that their saga-log writes share a batch.
      await startService("batch", (c) => ({ status: 200, body: c.body.n === 5 ? { note: "bad\u0000byte" } : { n: c.body.n }, until: batchReplies })),
      await startService("shipping", () => ({ status: 409, body: { error: "no carrier" } })),
      await startService("slowpay", () => ({ status: 200, body: { slow: true }, delayMs: 2 * JOB_TIMEOUT_MS })),
    );
    const db = await freshDatabase(pg.url, "stepsonce");
    worker = await runWorker(testConfig(peer, db, services, { JOB_TIMEOUT_MS: String(JOB_TIMEOUT_MS), CALL_TIMEOUT_MS: "1000" }));
  });
  after(async () => {
    await worker?.stop(1000);
    await peer.stop();
    for (const s of services) await s.stop();
    await pg.stop();
  });

  it("calls every loop iteration of one element with its own request and key, and completes each with its own result", async () => {
    const pik = "6100000000000001";
    const keys: string[] = [];
    for (const item of [1, 2, 3]) {
      const key = peer.addJob({
        type: "call-microservice-payment",
        processInstanceKey: pik,
        elementId: "Charge",
        elementInstanceKey: `61000000000001${item}0`,
        variables: { item },
      });
      keys.push(key);
      await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 10000, `iteration ${item}`);
    }
    const calls = svc("payment")
      .callsTo("/api/process")
      .filter((c) => String(c.headers["idempotency-key"]).includes(pik));
    assert.deepStrictEqual(
      calls.map((c) => c.body.item),
      [1, 2, 3],
      "one call per iteration, each with its own variables",
    );
    assert.strictEqual(new Set(calls.map((c) => c.headers["idempotency-key"])).size, 3, "one Idempotency-Key per iteration");
    assert.deepStrictEqual(
      keys.map((k) => peer.completions.find((c) => c.jobKey === k)!.variables),
      [1, 2, 3].map((item) => ({ payment: { charged: item } })),
    );

    // A redelivery of iteration 2 (same element instance) answers from the log with iteration 2's result.
    peer.redeliver(peer.completions.find((c) => c.jobKey === keys[1])!.job);
    await peer.waitFor(() => peer.completions.filter((c) => c.jobKey === keys[1]).length === 2, 10000, "redelivered iteration");
    assert.deepStrictEqual(peer.completions.filter((c) => c.jobKey === keys[1])[1].variables, { payment: { charged: 2 } });
    assert.strictEqual(
      svc("payment")
        .callsTo("/api/process")
        .filter((c) => String(c.headers["idempotency-key"]).includes(pik)).length,
      3,
    );
  });

  it("fails only the job whose variables PostgreSQL cannot store, as an incident that says why; its batch runs normally", async () => {
    const pik = "6100000000000002";
    const specs = Array.from({ length: 10 }, (_, i) => ({
      type: "call-microservice-ledger",
      processInstanceKey: pik,
      elementId: `Book${i}`,
      variables: i === 4 ? { note: "nul\u0000inside", n: i } : { n: i },
    }));
    const keys = peer.addJobs(specs);
    const settled = (k: string) => peer.completions.some((c) => c.jobKey === k) || peer.failures.some((f) => f.jobKey === k && f.retries === 0);
    await peer.waitFor(() => keys.every(settled), 15000, "10 jobs settled");

    const calls = svc("ledger").calls.filter((c) => String(c.headers["idempotency-key"]).includes(pik));
    assert.deepStrictEqual(calls.map((c) => c.body.n).sort(), [0, 1, 2, 3, 5, 6, 7, 8, 9], "each healthy step called once, the bad one never");
    assert.strictEqual(keys.filter((k) => peer.completions.some((c) => c.jobKey === k)).length, 9);
    const healthyFailures = peer.failures.filter((f) => keys.includes(f.jobKey) && f.jobKey !== keys[4]);
    assert.deepStrictEqual(healthyFailures, [], "no healthy job lost a retry");
    const bad = peer.failures.filter((f) => f.jobKey === keys[4]);
    assert.strictEqual(bad.length, 1);
    assert.strictEqual(bad[0].retries, 0, "a value PostgreSQL cannot store is an incident, not a retry");
    assert.match(bad[0].errorMessage, /variables/);
    assert.match(bad[0].errorMessage, /U\+0000/);
    assert.match(bad[0].errorMessage, /note/);
    assert.doesNotMatch(bad[0].errorMessage, /inside/, "the value itself is not echoed");
  });

  it("fails only the job whose reply body PostgreSQL cannot store; the other replies of the same moment are logged once", async () => {
    const pik = "6100000000000003";
    batchReplies = new Promise<void>((r) => (releaseBatch = r));
    const keys = peer.addJobs(
      Array.from({ length: 10 }, (_, n) => ({ type: "call-microservice-batch", processInstanceKey: pik, elementId: `Batch${n}`, variables: { n } })),
    );
    await peer.waitFor(() => svc("batch").calls.filter((c) => String(c.headers["idempotency-key"]).includes(pik)).length === 10, 10000, "10 calls in flight");
    releaseBatch();
    const settled = (k: string) => peer.completions.some((c) => c.jobKey === k) || peer.failures.some((f) => f.jobKey === k && f.retries === 0);
    await peer.waitFor(() => keys.every(settled), 15000, "10 jobs settled");
    await new Promise((r) => setTimeout(r, 300)); // room for a wrongful redelivery to show up

    const calls = svc("batch").calls.filter((c) => String(c.headers["idempotency-key"]).includes(pik));
    assert.strictEqual(calls.length, 10, `each step called once (got ${calls.length})`);
    assert.strictEqual(keys.filter((k) => peer.completions.some((c) => c.jobKey === k)).length, 9);
    assert.deepStrictEqual(
      peer.failures.filter((f) => keys.includes(f.jobKey) && f.jobKey !== keys[5]),
      [],
    );
    const bad = peer.failures.filter((f) => f.jobKey === keys[5]);
    assert.deepStrictEqual(
      bad.map((f) => f.retries),
      [0],
    );
    assert.match(bad[0].errorMessage, /reply|response/);
    assert.match(bad[0].errorMessage, /U\+0000/);
    assert.match(bad[0].errorMessage, /note/);
  });

  it("never lets a second delivery call a step while the first delivery's call is open (timeoutMs header beyond the job timeout)", async () => {
    const key = peer.addJob({
      type: "call-microservice-slowpay",
      elementId: "SlowCharge",
      retries: 2,
      customHeaders: { timeoutMs: String(10 * JOB_TIMEOUT_MS) },
    });
    await peer.waitFor(() => peer.failures.some((f) => f.jobKey === key && f.retries === 0), 20000, "incident after timeouts");
    const calls = svc("slowpay").calls;
    assert.ok(calls.length >= 2, `retried (${calls.length} calls)`);
    await peer.waitFor(() => calls.every((c) => c.endedAt !== undefined), 10000, "all exchanges ended");
    assert.strictEqual(maxOpenAtOnce(calls), 1, `calls open at once: ${calls.map((c) => `[${c.at}, ${c.endedAt}]`).join(" ")}`);
    for (const c of calls) assert.ok(c.endedAt! - c.at < JOB_TIMEOUT_MS, `a call stays below the job timeout (${c.endedAt! - c.at} ms)`);
  });

  it("waits for an in-progress step's lease (a worker died mid-call) before calling it again, and calls it after", async () => {
    const pik = "6100000000000004";
    const ref = { processInstanceKey: pik, elementId: "Charge", elementInstanceKey: "6100000000000400", kind: "call" as const };
    // A worker began the step and died: the log says "in progress".
    const begun = await worker.saga.begin(ref, {
      service: "payment",
      idempotencyKey: `call-${pik}-6100000000000400`,
      request: { item: 9 },
      jobKey: "lost-job",
      leaseMs: JOB_TIMEOUT_MS,
    });
    assert.strictEqual(begun.state, "claimed");
    const t0 = Date.now();
    const key = peer.addJob({
      type: "call-microservice-payment",
      processInstanceKey: pik,
      elementId: "Charge",
      elementInstanceKey: ref.elementInstanceKey,
      variables: { item: 9 },
    });
    await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 15000, "completion after the lease");
    const calls = svc("payment")
      .callsTo("/api/process")
      .filter((c) => String(c.headers["idempotency-key"]).includes(pik));
    assert.strictEqual(calls.length, 1);
    assert.ok(calls[0].at - t0 >= JOB_TIMEOUT_MS - 100, `called ${calls[0].at - t0} ms after the dead worker's begin; the lease is ${JOB_TIMEOUT_MS} ms`);
    assert.ok(!peer.failures.some((f) => f.jobKey === key && f.retries < 3), "waiting on a lease burns no retry");
  });

  it("runs one undo for two compensation jobs of one element activated together", async () => {
    const pik = "6100000000000005";
    const charge = peer.addJob({ type: "call-microservice-payment", processInstanceKey: pik, elementId: "Charge", variables: { item: 7 } });
    await peer.waitFor(() => peer.completions.some((c) => c.jobKey === charge), 10000, "charge");
    const keys = peer.addJobs([
      { type: "compensate-payment", processInstanceKey: pik, elementId: "UndoCharge", customHeaders: { compensates: "Charge" } },
      { type: "compensate-payment", processInstanceKey: pik, elementId: "UndoCharge", customHeaders: { compensates: "Charge" } },
    ]);
    await peer.waitFor(() => keys.every((k) => peer.completions.some((c) => c.jobKey === k)), 15000, "both compensation jobs completed");
    const undo = svc("payment")
      .callsTo("/api/compensate")
      .filter((c) => c.body.processInstanceKey === pik);
    assert.strictEqual(undo.length, 1, "one undo call");
    assert.strictEqual(undo[0].body.request.item, 7);
  });

  it("does not call a rejected step again when its job is redelivered: the same BPMN error comes from the log", async () => {
    const key = peer.addJob({ type: "call-microservice-shipping", elementId: "Ship" });
    await peer.waitFor(() => peer.errors.some((e) => e.jobKey === key), 10000, "rejection");
    peer.redeliver(peer.errors.find((e) => e.jobKey === key)!.job);
    await peer.waitFor(() => peer.errors.filter((e) => e.jobKey === key).length === 2, 10000, "second rejection");
    const [first, second] = peer.errors.filter((e) => e.jobKey === key);
    assert.strictEqual(svc("shipping").calls.length, 1, "called once");
    assert.strictEqual(second.errorCode, "BUSINESS_REJECTION");
    assert.deepStrictEqual(second.variables, first.variables);
  });
});
