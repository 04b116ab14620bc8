// Compensation undoes completed steps in reverse order of completion: within one compensate job and
// across the compensate jobs of a process instance, which Zeebe starts all at once in no order.
import * as assert from "assert";
import { Client } from "pg";
import type { RunningWorker } from "../src/app";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, runWorker, testConfig } from "./support/harness";
import { RecordedCall, startService, TestService } from "./support/http-services";
import { PostgresServer, startPostgres } from "./support/servers";

const ORDER_WAIT_MS = 1500;

describe("worker end-to-end: compensation in reverse order", function () {
  let pg: PostgresServer;
  let peer: GatewayPeer;
  let worker: RunningWorker;
  let db: string;
  const services: TestService[] = [];
  const svc = (name: string) => services.find((s) => s.name === name)!;
  const undos = (pik: string): (RecordedCall & { service: string })[] =>
    services
      .flatMap((s) =>
        s
          .callsTo("/api/compensate")
          .filter((c) => c.body.processInstanceKey === pik)
          .map((c) => ({ ...c, service: s.name })),
      )
      .sort((a, b) => a.at - b.at);

  before(async () => {
    pg = await startPostgres();
    peer = await GatewayPeer.start();
    const ok = (name: string) =>
      startService(name, (c) =>
        c.path === "/api/compensate" ? { status: 200, body: { undone: true }, delayMs: 50 } : { status: 200, body: { done: name, item: c.body.item } },
      );
    services.push(
      await ok("inventory"),
      await ok("payment"),
      await ok("audit"),
      await startService("ledger", (c) =>
        c.path === "/api/compensate" ? { status: 500, body: { error: "ledger down" }, delayMs: 400 } : { status: 200, body: { entry: 1 } },
      ),
      // Its first undo fails (a transient outage of the service); every later one succeeds.
      await startService("shipping", (c) => {
        if (c.path !== "/api/compensate") return { status: 200, body: { shipped: c.body.item } };
        const firstUndo = svc("shipping").callsTo("/api/compensate")[0] === c;
        return firstUndo ? { status: 503, body: { error: "try later" } } : { status: 200, body: { undone: true } };
      }),
    );
    db = await freshDatabase(pg.url, "comporder");
    worker = await runWorker(testConfig(peer, db, services, { COMPENSATION_ORDER_WAIT_MS: String(ORDER_WAIT_MS) }));
  });
  after(async () => {
    await worker?.stop(1000);
    await peer.stop();
    for (const s of services) await s.stop();
    await pg.stop();
  });

  async function runSteps(pik: string, steps: { service: string; elementId: string; elementInstanceKey?: string; item?: number }[]): Promise<void> {
    for (const s of steps) {
      const key = peer.addJob({
        type: `call-microservice-${s.service}`,
        processInstanceKey: pik,
        elementId: s.elementId,
        elementInstanceKey: s.elementInstanceKey,
        variables: { item: s.item ?? 0 },
      });
      await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 10000, `${s.elementId} done`);
    }
  }
  const completed = (keys: string[]) => () => keys.every((k) => peer.completions.some((c) => c.jobKey === k));
  const retriesBurned = (keys: string[]) => peer.failures.filter((f) => keys.includes(f.jobKey) && f.retries < f.job.retries);

  it("holds back the undo of an earlier step until the later step of another service is undone, whatever order the jobs come in", async () => {
    const pik = "6200000000000001";
    await runSteps(pik, [
      { service: "inventory", elementId: "Reserve" },
      { service: "payment", elementId: "Charge" },
    ]);
    // Zeebe activates the handlers in no order: here the earlier step's handler comes first.
    const first = peer.addJob({ type: "compensate-inventory", processInstanceKey: pik, elementId: "UndoReserve" });
    await new Promise((r) => setTimeout(r, 400));
    const second = peer.addJob({ type: "compensate-payment", processInstanceKey: pik, elementId: "UndoCharge" });
    await peer.waitFor(completed([first, second]), 15000, "both compensations");
    const u = undos(pik);
    assert.deepStrictEqual(
      u.map((c) => c.body.elementId),
      ["Charge", "Reserve"],
    );
    assert.ok(u[1].at >= u[0].endedAt!, "Reserve's undo starts after Charge's undo was answered");
    assert.deepStrictEqual(retriesBurned([first, second]), [], "holding back burns no retry");
  });

  it("undoes every completed iteration and step of a service, newest first, each with its own request and key", async () => {
    const pik = "6200000000000002";
    await runSteps(pik, [
      { service: "inventory", elementId: "Reserve", elementInstanceKey: "6200000000000201", item: 1 },
      { service: "inventory", elementId: "Reserve", elementInstanceKey: "6200000000000202", item: 2 },
      { service: "inventory", elementId: "Reserve", elementInstanceKey: "6200000000000203", item: 3 },
      { service: "inventory", elementId: "Pack", item: 4 },
    ]);
    const key = peer.addJob({ type: "compensate-inventory", processInstanceKey: pik, elementId: "UndoInventory" });
    await peer.waitFor(completed([key]), 15000, "compensation");
    const u = undos(pik);
    assert.deepStrictEqual(
      u.map((c) => [c.body.elementId, c.body.request.item]),
      [
        ["Pack", 4],
        ["Reserve", 3],
        ["Reserve", 2],
        ["Reserve", 1],
      ],
    );
    assert.strictEqual(new Set(u.map((c) => c.headers["idempotency-key"])).size, 4, "one undo key per step instance");
    const calls = svc("inventory")
      .callsTo("/api/process")
      .filter((c) => String(c.headers["idempotency-key"]).includes(pik));
    assert.deepStrictEqual(
      u.map((c) => c.body.idempotencyKey).sort(),
      calls.map((c) => c.headers["idempotency-key"]).sort(),
      "each undo names the call it undoes",
    );
  });

  it("does not wait for ever on a later step whose handler never comes", async () => {
    const pik = "6200000000000003";
    await runSteps(pik, [
      { service: "inventory", elementId: "Reserve" },
      { service: "audit", elementId: "Audit" },
    ]);
    const t0 = Date.now();
    const key = peer.addJob({ type: "compensate-inventory", processInstanceKey: pik, elementId: "UndoReserve" });
    await peer.waitFor(completed([key]), ORDER_WAIT_MS + 10000, "compensation despite the missing handler");
    const u = undos(pik);
    assert.deepStrictEqual(
      u.map((c) => c.body.elementId),
      ["Reserve"],
    );
    assert.ok(u[0].at - t0 >= ORDER_WAIT_MS - 300, `held back for the ordering window first (${u[0].at - t0} ms)`);
    assert.deepStrictEqual(retriesBurned([key]), []);
  });

  it("waits for a later step whose undo is being retried, and goes on once that undo is dead-lettered", async () => {
    const pik = "6200000000000004";
    await runSteps(pik, [
      { service: "inventory", elementId: "Reserve" },
      { service: "ledger", elementId: "Book" },
    ]);
    const ledger = peer.addJob({ type: "compensate-ledger", processInstanceKey: pik, elementId: "UndoBook", retries: 4 });
    await peer.waitFor(() => svc("ledger").callsTo("/api/compensate").length >= 1, 10000, "first ledger undo");
    const inv = peer.addJob({ type: "compensate-inventory", processInstanceKey: pik, elementId: "UndoReserve" });
    await peer.waitFor(completed([inv]), 20000, "inventory compensation");
    const lastLedgerFailure = peer.failures.filter((f) => f.jobKey === ledger);
    assert.deepStrictEqual(
      lastLedgerFailure.map((f) => f.retries),
      [3, 2, 1, 0],
      "the ledger undo was retried, then dead-lettered",
    );
    const reserveUndo = undos(pik).find((c) => c.body.elementId === "Reserve")!;
    const ledgerUndos = svc("ledger").callsTo("/api/compensate");
    assert.strictEqual(ledgerUndos.length, 4);
    assert.ok(
      reserveUndo.at >= ledgerUndos[3].endedAt!,
      `Reserve is undone only after Book's last undo attempt (${reserveUndo.at - ledgerUndos[3].endedAt!} ms after)`,
    );
    assert.deepStrictEqual(retriesBurned([inv]), []);
  });

  it("after a crash mid-compensation, waits for a later step whose handler had begun, however late the handlers come back", async () => {
    // Found by the fault suite (kill -9 during a compensation): the handlers a killed worker had begun come back
    // after their job timeout, long after the ordering window, and the earlier step was undone first.
    const pik = "6200000000000005";
    await runSteps(pik, [
      { service: "inventory", elementId: "Reserve" },
      { service: "payment", elementId: "Charge" },
    ]);
    // What the killed worker left: both handlers begun (their leases have run out since), compensation begun a
    // minute ago (longer than the ordering window), nothing undone.
    const handlers = [
      ["inventory", "UndoReserve", "6200000000000501"],
      ["payment", "UndoCharge", "6200000000000502"],
    ] as const;
    for (const [service, elementId, eik] of handlers) {
      await worker.saga.begin(
        { processInstanceKey: pik, elementId, elementInstanceKey: eik, kind: "compensate" },
        { service, idempotencyKey: `compensate-${pik}-${eik}`, request: null, jobKey: "1", leaseMs: 1 },
      );
    }
    await worker.saga.startCompensation(pik);
    const c = new Client({ connectionString: db });
    await c.connect();
    await c.query("update saga_compensations set started_at = now() - interval '1 minute' where process_instance_key = $1", [pik]);
    await c.end();
    // Zeebe hands the handlers out again after their job timeout; the earlier step's comes first.
    const [first, second] = handlers.map(
      ([service, elementId, elementInstanceKey], i) =>
        new Promise<string>((r) =>
          setTimeout(() => r(peer.addJob({ type: `compensate-${service}`, processInstanceKey: pik, elementId, elementInstanceKey })), i * 400),
        ),
    );
    const keys = [await first, await second];
    await peer.waitFor(completed(keys), 15000, "both compensations");
    const u = undos(pik);
    assert.deepStrictEqual(
      u.map((x) => x.body.elementId),
      ["Charge", "Reserve"],
    );
    assert.ok(u[1].at >= u[0].endedAt!, "Reserve's undo starts after Charge's undo was answered");
    assert.deepStrictEqual(retriesBurned(keys), []);
  });

  it("a failed undo of the newest step stops the compensation there: the older steps wait, and the retry undoes all in order", async () => {
    const pik = "6200000000000006";
    await runSteps(pik, [
      { service: "shipping", elementId: "Ship", elementInstanceKey: "6200000000000601", item: 1 },
      { service: "shipping", elementId: "Ship", elementInstanceKey: "6200000000000602", item: 2 },
    ]);
    const key = peer.addJob({ type: "compensate-shipping", processInstanceKey: pik, elementId: "UndoShipping", retries: 3 });
    await peer.waitFor(completed([key]), 15000, "compensation after one retry");
    const u = undos(pik);
    assert.deepStrictEqual(
      u.map((c) => [c.body.request.item, c.headers["idempotency-key"]]),
      [
        [2, `compensate-${pik}-6200000000000602`],
        [2, `compensate-${pik}-6200000000000602`],
        [1, `compensate-${pik}-6200000000000601`],
      ],
      "item 2's undo failed, was retried with the same key, and item 1 was undone only after it",
    );
    assert.deepStrictEqual(
      peer.failures.filter((f) => f.jobKey === key).map((f) => f.retries),
      [2],
      "the failed undo used up one retry",
    );
    assert.strictEqual(peer.completions.filter((c) => c.jobKey === key).length, 1);
  });
});

describe("worker end-to-end: compensation order with the default window, across a lost handler", function () {
  const JOB_TIMEOUT_MS = 12_000; // longer than the window used to be (10 s), so the old default fails here
  let pg: PostgresServer;
  let peer: GatewayPeer;
  let worker: RunningWorker;
  const services: TestService[] = [];
  const undone = () =>
    services
      .flatMap((s) => s.callsTo("/api/compensate"))
      .sort((a, b) => a.at - b.at)
      .map((c) => c.body.elementId);

  before(async () => {
    pg = await startPostgres();
    peer = await GatewayPeer.start();
    const ok = (name: string) =>
      startService(name, (c) => (c.path === "/api/compensate" ? { status: 200, body: { undone: true } } : { status: 200, body: { done: name } }));
    services.push(await ok("inventory"), await ok("payment"));
    const db = await freshDatabase(pg.url, "comporderdefault");
    worker = await runWorker(testConfig(peer, db, services, { JOB_TIMEOUT_MS: String(JOB_TIMEOUT_MS) }));
  });
  after(async () => {
    await worker?.stop(1000);
    await peer.stop();
    for (const s of services) await s.stop();
    await pg.stop();
  });

  it("waits for a later step's handler that a dead worker held, until Zeebe hands it out again after the job timeout", async function () {
    this.timeout(60_000);
    const pik = "6200000000000006";
    for (const [service, elementId] of [
      ["inventory", "Reserve"],
      ["payment", "Charge"],
    ]) {
      const key = peer.addJob({ type: `call-microservice-${service}`, processInstanceKey: pik, elementId });
      await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 10000, `${elementId} done`);
    }
    // The later step's handler was activated by a worker that died before beginning it: Zeebe hands it out
    // again only after the job timeout. Meanwhile the earlier step's handler runs here.
    const t0 = Date.now();
    const first = peer.addJob({ type: "compensate-inventory", processInstanceKey: pik, elementId: "UndoReserve" });
    await new Promise((r) => setTimeout(r, JOB_TIMEOUT_MS - 1000));
    assert.deepStrictEqual(undone(), [], `nothing undone before the lost handler came back (${Date.now() - t0} ms)`);
    const second = peer.addJob({ type: "compensate-payment", processInstanceKey: pik, elementId: "UndoCharge" });
    await peer.waitFor(() => [first, second].every((k) => peer.completions.some((c) => c.jobKey === k)), 30000, "both compensations");
    assert.deepStrictEqual(undone(), ["Charge", "Reserve"]);
  });
});
