import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import Redis from "ioredis";
import { Client } from "pg";
import * as path from "path";
import { findRedisServer, REDIS_SERVER_DIRS, startPostgres, startRedis } from "./support/servers";

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
    const listDirs = () =>
      fs
        .readdirSync(os.tmpdir())
        .filter((d) => d.startsWith("redis-test-"))
        .sort();
    const before = listDirs();
    const r = await startRedis();
    try {
      assert.strictEqual(listDirs().length, before.length + 1);
      const client = new Redis(r.url);
      await client.set("k", "v");
      assert.strictEqual(await client.get("k"), "v");
      client.disconnect();
    } finally {
      await r.stop();
    }
    assert.deepStrictEqual(listDirs(), before);
  });

  it("finds redis-server on PATH first, then in the known folders, and names both when it is nowhere", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "path-"));
    try {
      const own = path.join(dir, "redis-server");
      fs.writeFileSync(own, "#!/bin/sh\n", { mode: 0o755 });
      assert.strictEqual(findRedisServer([dir, "/usr/bin"].join(path.delimiter)), own);
      fs.chmodSync(own, 0o644); // not executable: skipped
      assert.notStrictEqual(findRedisServer(dir), own);
      assert.throws(() => findRedisServer(dir, []), /redis-server not found on PATH or in \(no other folders\): install the Debian package "redis-server"/);
      const installed = REDIS_SERVER_DIRS.some((d) => fs.existsSync(path.join(d, "redis-server")));
      if (installed) assert.ok(REDIS_SERVER_DIRS.includes(path.dirname(findRedisServer(""))));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
