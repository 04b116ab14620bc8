// The saga log against a real PostgreSQL: migrations, batched statements, finished steps.
import * as assert from "assert";
import { Pool } from "pg";
import { Batcher, uniqueRounds } from "../src/saga/batcher";
import { SagaLog } from "../src/saga/log";
import { migrate, MIGRATIONS } from "../src/saga/migrations";
import { freshDatabase } from "./support/harness";
import { PostgresServer, startPostgres } from "./support/servers";

describe("saga log batching helpers", () => {
  it("splits items into rounds without repeated keys, keeping indexes", () => {
    const rounds = uniqueRounds(["a", "b", "a", "c", "a"], (x) => x);
    assert.deepStrictEqual(rounds.map((r) => r.map((e) => `${e.item}${e.index}`)), [["a0", "b1", "c3"], ["a2"], ["a4"]]);
  });

  it("runs the calls of one event-loop turn as one execution and maps results back", async () => {
    const calls: number[][] = [];
    const b = new Batcher<number, number>(async (xs) => {
      calls.push(xs);
      return xs.map((x) => x * 10);
    });
    const r = await Promise.all([b.submit(1), b.submit(2), b.submit(3)]);
    assert.deepStrictEqual(r, [10, 20, 30]);
    assert.deepStrictEqual(calls, [[1, 2, 3]]);
    assert.deepStrictEqual(await b.submit(4), 40);
    assert.strictEqual(calls.length, 2);
  });

  it("rejects every call of a failed execution", async () => {
    const b = new Batcher<number, number>(async () => {
      throw new Error("db down");
    });
    const r = await Promise.allSettled([b.submit(1), b.submit(2)]);
    assert.deepStrictEqual(r.map((x) => x.status), ["rejected", "rejected"]);
  });
});

describe("saga log in PostgreSQL", () => {
  let pg: PostgresServer;
  let pool: Pool;
  let log: SagaLog;
  before(async () => {
    pg = await startPostgres();
    pool = SagaLog.connect(await freshDatabase(pg.url, "sagalog"));
    log = new SagaLog(pool);
  });
  after(async () => {
    await pool.end();
    await pg.stop();
  });

  it("migrates once, and a second run applies nothing", async () => {
    assert.deepStrictEqual(await migrate(pool), MIGRATIONS.map((m) => m.version));
    assert.deepStrictEqual(await migrate(pool), []);
  });

  it("batches concurrent begins, counting a duplicate delivery in the same batch as a second attempt", async () => {
    const ref = (el: string) => ({ processInstanceKey: "1", elementId: el, kind: "call" as const });
    const r = await Promise.all([
      log.begin(ref("A"), "svc", "k-a", { x: 1 }),
      log.begin(ref("B"), "svc", "k-b", { x: 2 }),
      log.begin(ref("A"), "svc", "k-a", { x: 1 }),
    ]);
    assert.deepStrictEqual(r, [{ attempt: 1 }, { attempt: 1 }, { attempt: 2 }]);
    await Promise.all([
      log.finish(ref("A"), "svc", { status: "succeeded", outcome: "succeeded", jobKey: "j1", attempt: 2, response: { ok: "A" }, httpStatus: 200 }),
      log.finish(ref("B"), "svc", { status: "failed", outcome: "transient", jobKey: "j2", attempt: 1, httpStatus: 503 }),
    ]);
    const again = await Promise.all([log.begin(ref("A"), "svc", "k-a", { x: 1 }), log.begin(ref("B"), "svc", "k-b", { x: 2 })]);
    assert.strictEqual(again[0].finished?.status, "succeeded");
    assert.deepStrictEqual(again[0].finished?.response, { ok: "A" });
    assert.deepStrictEqual(again[0].finished?.request, { x: 1 });
    assert.deepStrictEqual(again[1], { attempt: 2 });
    assert.deepStrictEqual((await log.attempts(ref("B"))).map((a) => [a.attempt, a.outcome, a.httpStatus]), [[1, "transient", 503]]);
    assert.deepStrictEqual((await log.succeededCalls("1", "svc")).map((s) => s.elementId), ["A"]);
  });
});
