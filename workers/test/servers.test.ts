import * as assert from "assert";
import * as fs from "fs";
import Redis from "ioredis";
import { Client } from "pg";
import { startPostgres, startRedis } from "./support/servers";

describe("test servers", () => {
  it("starts PostgreSQL, survives pause/resume, and cleans up", async () => {
    const pg = await startPostgres();
    try {
      const c = new Client({ connectionString: pg.url });
      await c.connect();
      await c.query("create table t (x int)");
      await c.query("insert into t values (42)");
      await c.end();
      await pg.pause();
      const down = new Client({ connectionString: pg.url, connectionTimeoutMillis: 1000 });
      await assert.rejects(down.connect());
      await pg.resume();
      const c2 = new Client({ connectionString: pg.url });
      await c2.connect();
      const r = await c2.query("select x from t");
      assert.strictEqual(r.rows[0].x, 42);
      await c2.end();
    } finally {
      await pg.stop();
    }
  });

  it("starts Redis on a free port and removes its directory on stop", async () => {
    const listDirs = () => fs.readdirSync("/tmp").filter((d) => d.startsWith("redis-test-")).sort();
    const before = listDirs();
    const r = await startRedis();
    assert.strictEqual(listDirs().length, before.length + 1);
    const client = new Redis(r.url);
    await client.set("k", "v");
    assert.strictEqual(await client.get("k"), "v");
    client.disconnect();
    await r.stop();
    assert.deepStrictEqual(listDirs(), before);
  });
});
