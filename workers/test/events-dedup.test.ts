import { strict as assert } from "node:assert";
import Redis from "ioredis";
import { createRedisDedup, dedupKey, EventInFlightError } from "../src/events";
import { RedisServer, startRedis } from "./support/servers";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("events: de-duplication in a real Redis", () => {
  let server: RedisServer;
  let redis: Redis;

  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  it("handles the same event id once per group, and remembers it under dedup:<group>:<id> with the TTL", async () => {
    const dedup = createRedisDedup(redis, { ttlMs: 60_000 });
    let runs = 0;
    const handle = async () => void runs++;
    assert.equal(await dedup.once("g", "e1", handle), true);
    assert.equal(await dedup.once("g", "e1", handle), false);
    assert.equal(await dedup.once("other-group", "e1", handle), true);
    assert.equal(runs, 2);
    assert.equal(await redis.get(dedupKey("g", "e1")), "done");
    const ttl = await redis.pttl("dedup:g:e1");
    assert.ok(ttl > 55_000 && ttl <= 60_000, `ttl ${ttl}`);
  });

  it("handles the event again once the TTL has passed", async () => {
    const dedup = createRedisDedup(redis, { ttlMs: 150 });
    let runs = 0;
    await dedup.once("g", "e-ttl", async () => void runs++);
    assert.equal(await dedup.once("g", "e-ttl", async () => void runs++), false);
    await sleep(250);
    assert.equal(await dedup.once("g", "e-ttl", async () => void runs++), true);
    assert.equal(runs, 2);
  });

  it("removes the mark when the handler throws, so a redelivery is processed", async () => {
    const dedup = createRedisDedup(redis, { ttlMs: 60_000 });
    await assert.rejects(
      dedup.once("g", "e-fail", async () => {
        throw new Error("zeebe down");
      }),
      /zeebe down/,
    );
    assert.equal(await redis.exists(dedupKey("g", "e-fail")), 0);
    let runs = 0;
    assert.equal(await dedup.once("g", "e-fail", async () => void runs++), true);
    assert.equal(runs, 1);
  });

  it("refuses a duplicate while the first delivery is still running, and lets a redelivery take over after a crash", async () => {
    const dedup = createRedisDedup(redis, { ttlMs: 60_000, leaseMs: 200 });
    let release!: () => void;
    const first = dedup.once("g", "e-busy", () => new Promise<void>((r) => (release = r)));
    await sleep(20);
    await assert.rejects(
      dedup.once("g", "e-busy", async () => assert.fail("must not run")),
      EventInFlightError,
    );
    release();
    assert.equal(await first, true);
    assert.equal(await dedup.once("g", "e-busy", async () => assert.fail("must not run")), false);

    // A crash mid-handler leaves only the "processing" lease; once it expires the event is handled.
    await redis.set(dedupKey("g", "e-crash"), "processing", "PX", 100);
    await assert.rejects(
      dedup.once("g", "e-crash", async () => undefined),
      EventInFlightError,
    );
    await sleep(150);
    assert.equal(await dedup.once("g", "e-crash", async () => undefined), true);
  });
});
