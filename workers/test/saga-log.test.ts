// The saga log against a real PostgreSQL: migrations, batched statements, finished steps.
import * as assert from "assert";
import { Pool } from "pg";
import { Batcher, uniqueRounds } from "../src/saga/batcher";
import { SagaLog, SagaLogUnavailableError, StepRef } from "../src/saga/log";
import { migrate, MIGRATIONS } from "../src/saga/migrations";
import { freshDatabase } from "./support/harness";
import { PostgresServer, startPostgres } from "./support/servers";

describe("saga log batching helpers", () => {
  it("splits items into rounds without repeated keys, keeping indexes", () => {
    const rounds = uniqueRounds(["a", "b", "a", "c", "a"], (x) => x);
    assert.deepStrictEqual(
      rounds.map((r) => r.map((e) => `${e.item}${e.index}`)),
      [["a0", "b1", "c3"], ["a2"], ["a4"]],
    );
  });

  it("runs the calls of one event-loop turn as one execution and maps results back", async () => {
    const calls: number[][] = [];
    const b = new Batcher<number, number>(
      async (xs) => {
        calls.push(xs);
        return xs.map((x) => x * 10);
      },
      () => false,
    );
    const r = await Promise.all([b.submit(1), b.submit(2), b.submit(3)]);
    assert.deepStrictEqual(r, [10, 20, 30]);
    assert.deepStrictEqual(calls, [[1, 2, 3]]);
    assert.deepStrictEqual(await b.submit(4), 40);
    assert.strictEqual(calls.length, 2);
  });

  it("rejects every call of an execution that failed for another reason than its data, without running them alone", async () => {
    let executions = 0;
    const b = new Batcher<number, number>(
      async () => {
        executions += 1;
        throw new Error("db down");
      },
      (err) => (err as Error).message === "bad data",
    );
    const r = await Promise.allSettled([b.submit(1), b.submit(2)]);
    assert.deepStrictEqual(
      r.map((x) => x.status),
      ["rejected", "rejected"],
    );
    assert.strictEqual(executions, 1, "an outage is not retried item by item");
  });

  it("runs each item alone when a batch fails on its data, so only the bad item fails", async () => {
    const runs: number[][] = [];
    const b = new Batcher<number, number>(
      async (xs) => {
        runs.push(xs);
        if (xs.includes(13)) throw new Error("bad data");
        return xs.map((x) => x * 10);
      },
      (err) => (err as Error).message === "bad data",
    );
    const r = await Promise.allSettled([b.submit(1), b.submit(13), b.submit(3)]);
    assert.deepStrictEqual(
      r.map((x) => (x.status === "fulfilled" ? x.value : "rejected")),
      [10, "rejected", 30],
    );
    assert.deepStrictEqual(runs, [[1, 13, 3], [1], [13], [3]]);
  });
});

describe("saga log in PostgreSQL", () => {
  let pg: PostgresServer;
  let pool: Pool;
  let log: SagaLog;
  const ref = (eik: string, el = "A"): StepRef => ({ processInstanceKey: "1", elementId: el, elementInstanceKey: eik, kind: "call" });
  const input = (lease = 60000) => ({ service: "svc", idempotencyKey: "k", request: { x: 1 }, jobKey: "j", leaseMs: lease });
  before(async () => {
    pg = await startPostgres();
    pool = SagaLog.connect(await freshDatabase(pg.url, "sagalog"));
    log = new SagaLog(pool);
  });
  after(async () => {
    await pool.end();
    await pg.stop();
  });

  it("migrates version 1 rows to element-instance keys and completion order, once", async () => {
    // A saga log written by version 1 of the schema.
    await pool.query("create table saga_schema_migrations (version int primary key, applied_at timestamptz not null default now())");
    await pool.query(MIGRATIONS[0].sql);
    await pool.query("insert into saga_schema_migrations (version) values (1)");
    await pool.query(`insert into saga_steps (process_instance_key, element_id, kind, service, status, idempotency_key, request, response, attempts, updated_at) values
      ('9', 'Reserve', 'call', 'inventory', 'succeeded', 'call-9-old', '{}', '{"r":1}', 1, now() - interval '2 minutes'),
      ('9', 'Charge', 'call', 'payment', 'succeeded', 'call-9-old2', '{}', '{"c":1}', 1, now() - interval '1 minute')`);
    assert.deepStrictEqual(
      await migrate(pool),
      MIGRATIONS.slice(1).map((m) => m.version),
    );
    assert.deepStrictEqual(await migrate(pool), []);
    const undo = await log.undoCandidates("9", "inventory");
    assert.deepStrictEqual(
      undo.map((s) => [s.elementInstanceKey, s.idempotencyKey, s.completedSeq]),
      [["v1:Reserve", "call-9-old", 1]],
    );
    assert.deepStrictEqual(await log.laterToUndo("9", 1, 60000), ["Charge"], "Charge succeeded after Reserve");
  });

  it("claims a new step, answers a finished one, and holds a step in progress for its lease", async () => {
    const r = await Promise.all([log.begin(ref("10"), input()), log.begin(ref("11"), input()), log.begin(ref("10"), input())]);
    assert.deepStrictEqual(r[0], { state: "claimed", attempt: 1, idempotencyKey: "k" });
    assert.strictEqual(r[1].state, "claimed");
    assert.strictEqual(r[2].state, "busy", "a duplicate in the same batch finds the step in progress");
    assert.ok(r[2].state === "busy" && r[2].retryInMs > 55000 && r[2].retryInMs <= 60000);
    assert.strictEqual(
      await log.finish(ref("10"), 1, "svc", { status: "succeeded", outcome: "succeeded", jobKey: "j", response: { ok: true }, httpStatus: 200 }),
      true,
    );
    assert.strictEqual(await log.finish(ref("11"), 1, "svc", { status: "failed", outcome: "transient", jobKey: "j", httpStatus: 503 }), true);
    const again = await Promise.all([log.begin(ref("10"), input()), log.begin(ref("11"), { ...input(), request: { x: 2 } })]);
    assert.ok(again[0].state === "finished" && again[0].row.status === "succeeded");
    assert.deepStrictEqual(again[0].state === "finished" && again[0].row.response, { ok: true });
    assert.deepStrictEqual(again[1], { state: "claimed", attempt: 2, idempotencyKey: "k" }, "a failed step is claimed again, with the same key");
    assert.deepStrictEqual((await log.get(ref("11")))?.request, { x: 2 }, "the request of the latest attempt is recorded");
  });

  it("lets another delivery take over a step whose lease ran out, and fences the late outcome of the first", async () => {
    assert.strictEqual((await log.begin(ref("20"), input(300))).state, "claimed");
    assert.strictEqual((await log.begin(ref("20"), input(300))).state, "busy");
    await new Promise((r) => setTimeout(r, 400));
    assert.deepStrictEqual(await log.begin(ref("20"), input(300)), { state: "claimed", attempt: 2, idempotencyKey: "k" });
    assert.strictEqual(await log.finish(ref("20"), 1, "svc", { status: "succeeded", outcome: "succeeded", jobKey: "j1" }), false, "attempt 1 lost the step");
    assert.strictEqual((await log.get(ref("20")))?.status, "started");
    assert.strictEqual(await log.finish(ref("20"), 2, "svc", { status: "succeeded", outcome: "succeeded", jobKey: "j2" }), true);
    assert.deepStrictEqual(
      (await log.attempts(ref("20"))).map((a) => a.outcome),
      ["succeeded", "succeeded"],
      "both attempts are on record",
    );
  });

  it("fails only the step whose data PostgreSQL refuses when it shares a batch", async () => {
    const r = await Promise.allSettled([
      log.begin(ref("30"), input()),
      log.begin(ref("31"), { ...input(), request: { bad: "\u0000" } }),
      log.begin(ref("32"), input()),
    ]);
    assert.deepStrictEqual(
      r.map((x) => x.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.match(String((r[1] as PromiseRejectedResult).reason), /PostgreSQL refused the step's data/);
  });

  it("numbers the completions of one batch in the order their outcomes were submitted", async () => {
    // Parallel iterations: Reserve, Charge and Ship begun in that order, their replies arrive Ship, Charge, Reserve.
    const refs = ["50", "51", "52"].map((eik) => ref(eik, `Par${eik}`));
    for (const r of refs) assert.strictEqual((await log.begin(r, input())).state, "claimed");
    const ok = { status: "succeeded" as const, outcome: "succeeded" as const, jobKey: "j" };
    await Promise.all([...refs].reverse().map((r) => log.finish(r, 1, "svc", ok)));
    const seqOf = async (r: StepRef) => (await log.get(r))!.completedSeq!;
    const [a, b, c] = await Promise.all(refs.map(seqOf));
    assert.ok(c < b && b < a, `one batch: completion order follows submission (got ${a}, ${b}, ${c})`);
  });

  it("answers every final status from the log, and claims a failed or dead-lettered step again", async () => {
    const finished = ["succeeded", "rejected", "compensating", "compensated", "compensation_failed", "skipped"];
    const retried = ["failed", "dead_lettered"];
    for (const [n, status] of [...finished, ...retried].entries()) {
      const r = ref(String(60 + n), `Final${n}`);
      assert.strictEqual((await log.begin(r, input())).state, "claimed");
      await pool.query("update saga_steps set status = $2 where element_instance_key = $1", [r.elementInstanceKey, status]);
      const again = await log.begin(r, input());
      const expected = finished.includes(status) ? "finished" : "claimed";
      assert.strictEqual(again.state, expected, `a redelivery of a ${status} step`);
      if (again.state === "finished") assert.strictEqual(again.row.status, status);
      if (again.state === "claimed") assert.strictEqual(again.attempt, 2);
    }
  });

  it("has no completion number for a step that did not succeed", async () => {
    assert.strictEqual((await log.begin(ref("70"), input())).state, "claimed");
    assert.strictEqual(await log.finish(ref("70"), 1, "svc", { status: "failed", outcome: "transient", jobKey: "j", httpStatus: 503 }), true);
    const row = await log.get(ref("70"));
    assert.strictEqual(row?.status, "failed");
    assert.strictEqual(row?.completedSeq, null);
  });

  it("claims an undo once: busy for its lease, done once undone, claimable again after a failed undo or its lease", async () => {
    const call = ref("80", "Undo80");
    assert.strictEqual((await log.begin(call, input())).state, "claimed");
    assert.strictEqual(await log.finish(call, 1, "svc", { status: "succeeded", outcome: "succeeded", jobKey: "j" }), true);
    assert.deepStrictEqual(await log.claimUndo(call, 60000), { state: "claimed", attempt: 1 });
    const busy = await log.claimUndo(call, 60000);
    assert.ok(busy.state === "busy" && busy.retryInMs > 55000 && busy.retryInMs <= 60000, `held for its lease: ${JSON.stringify(busy)}`);
    const undo = { service: "svc", jobKey: "u" };
    assert.strictEqual(await log.finishUndo(call, 1, false, undo), true, "a failed undo hands the step back");
    assert.deepStrictEqual(await log.claimUndo(call, 300), { state: "claimed", attempt: 2 });
    await new Promise((r) => setTimeout(r, 400));
    assert.deepStrictEqual(await log.claimUndo(call, 60000), { state: "claimed", attempt: 3 }, "a lease that ran out frees the undo");
    assert.strictEqual(await log.finishUndo(call, 2, true, undo), false, "attempt 2 lost the undo");
    assert.strictEqual(await log.finishUndo(call, 3, true, undo), true);
    assert.deepStrictEqual(await log.claimUndo(call, 60000), { state: "done", status: "compensated" });
    assert.deepStrictEqual(await log.claimUndo(ref("81", "Never"), 60000), { state: "done", status: "compensated" }, "no such step: nothing to undo");
  });

  it("survives the server ending a connection it holds between two statements (no unhandled 'error' event)", async () => {
    // A server that shuts down sends each session a FATAL message; one that arrives while a client is checked
    // out and idle (e.g. in the same packet as the previous statement's result) is emitted as the client's
    // 'error' event, which ends the process when nothing listens: the fault suite saw the worker exit so.
    const client = await pool.connect();
    const pid = (await client.query("select pg_backend_pid() as pid")).rows[0].pid;
    const ended = new Promise((resolve) => client.once("end", resolve));
    await pool.query("select pg_terminate_backend($1)", [pid]);
    await ended;
    await assert.rejects(client.query("select 1"), "the dead session is not queryable");
    client.release(new Error("connection terminated"));
    assert.deepStrictEqual(await log.attempts({ processInstanceKey: "none", elementId: "A", kind: "call" }), [], "the pool works on");
  });

  it("reports a read-only server as unavailable", async () => {
    await pool.query("alter database sagalog set default_transaction_read_only = on");
    const ro = SagaLog.connect(pg.url.replace(/\/postgres$/, "/sagalog"));
    try {
      await assert.rejects(new SagaLog(ro).ping(), (e) => e instanceof SagaLogUnavailableError && /read-only/.test(e.message));
      await assert.rejects(new SagaLog(ro).begin(ref("40"), input()), SagaLogUnavailableError);
    } finally {
      await ro.end();
      await pool.query("alter database sagalog reset default_transaction_read_only");
    }
  });
});
