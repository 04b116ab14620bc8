// Event streaming connectivity as metrics: bus reachable (worker_event_bus_up) and the bridge's consumer lag
// (worker_event_consumer_lag), measured at scrape time against a real redis-server.
import * as assert from "assert";
import Redis from "ioredis";
import type { InboundEvent } from "../src/events/bus";
import { RedisStreamsBus } from "../src/events/redis-streams-bus";
import { Metrics } from "../src/metrics";
import { RecordingBus } from "./support/memory-bus";
import { RedisServer, startRedis } from "./support/servers";

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The exposition lines of one metric, as Prometheus scrapes them. */
async function scraped(metrics: Metrics, name: string): Promise<string[]> {
  return (await metrics.registry.metrics()).split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe("event streaming health", () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedis();
  });
  after(async () => {
    await server.stop();
  });

  it("Redis Streams: a group's lag counts entries not yet delivered plus those delivered but not acknowledged", async () => {
    const bus = new RedisStreamsBus({ url: server.url, clientId: "lag", blockMs: 100, claimIdleMs: 60_000 });
    const redis = new Redis(server.url);
    try {
      for (let i = 0; i < 3; i++) await bus.publish("lag.triggers", { key: `k${i}`, value: { i } });
      assert.deepStrictEqual(await bus.consumerLag("g", ["lag.triggers", "lag.responses"]), {}, "no group yet: nothing to report");

      // A group whose handler fails leaves what it took pending: still lag.
      let failing = true;
      const handled: InboundEvent[] = [];
      await bus.subscribe(["lag.triggers", "lag.responses"], "g", async (e) => {
        if (failing) throw new Error("not now");
        handled.push(e);
      });
      await eventually(async () => (await redis.xpending("lag.triggers", "g"))[0] === 3, "three pending");
      assert.deepStrictEqual(await bus.consumerLag("g", ["lag.triggers", "lag.responses"]), { "lag.triggers": 3, "lag.responses": 0 });

      failing = false;
      for (let i = 3; i < 5; i++) await bus.publish("lag.triggers", { key: `k${i}`, value: { i } });
      await eventually(() => handled.length === 2, "the new entries handled");
      assert.deepStrictEqual(await bus.consumerLag("g", ["lag.triggers"]), { "lag.triggers": 3 }, "the failed three stay pending until re-claimed");
    } finally {
      await bus.close();
      redis.disconnect();
    }
  });

  it("the metrics ask the bus at scrape time: up 1 or 0, and the lag per inbound topic", async () => {
    const metrics = new Metrics(false);
    assert.deepStrictEqual(await scraped(metrics, "worker_event_bus_up"), [], "no bus: no series");
    const bus = new RecordingBus();
    let lag: Record<string, number> = { "shop.triggers": 4, "shop.responses": 0 };
    metrics.watchEventBus({ kind: "redis-streams", ping: () => bus.ping(), consumerLag: async () => lag, group: "event-bridge" }, 0);
    assert.deepStrictEqual(await scraped(metrics, "worker_event_bus_up"), ['worker_event_bus_up{bus="redis-streams"} 1']);
    assert.deepStrictEqual(await scraped(metrics, "worker_event_consumer_lag"), [
      'worker_event_consumer_lag{topic="shop.triggers",group="event-bridge"} 4',
      'worker_event_consumer_lag{topic="shop.responses",group="event-bridge"} 0',
    ]);

    bus.down = true;
    lag = { "shop.triggers": 9, "shop.responses": 1 };
    assert.deepStrictEqual(await scraped(metrics, "worker_event_bus_up"), ['worker_event_bus_up{bus="redis-streams"} 0']);
    assert.deepStrictEqual(await scraped(metrics, "worker_event_consumer_lag"), [
      'worker_event_consumer_lag{topic="shop.triggers",group="event-bridge"} 9',
      'worker_event_consumer_lag{topic="shop.responses",group="event-bridge"} 1',
    ]);
  });

  it("a lag the bus cannot tell drops the stale series instead of repeating an old value", async () => {
    const metrics = new Metrics(false);
    let fail = false;
    metrics.watchEventBus(
      {
        kind: "kafka",
        ping: async () => undefined,
        consumerLag: async () => {
          if (fail) throw new Error("offsets unavailable");
          return { "shop.triggers": 2 };
        },
        group: "event-bridge",
      },
      0,
    );
    assert.strictEqual((await scraped(metrics, "worker_event_consumer_lag")).length, 1);
    fail = true;
    assert.deepStrictEqual(await scraped(metrics, "worker_event_consumer_lag"), []);
  });
});
