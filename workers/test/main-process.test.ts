// The worker as a process (src/main.ts): configuration errors, streaming wiring against real
// Redis Streams, the bundled models, and graceful shutdown on SIGTERM.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import Redis from "ioredis";
import * as path from "path";
import { RedisStreamsBus } from "../src/events/redis-streams-bus";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, getJson } from "./support/harness";
import { startService, TestService } from "./support/http-services";
import { freePort, PostgresServer, RedisServer, startPostgres, startRedis } from "./support/servers";

const ROOT = path.resolve(__dirname, "..", "..");
const MAIN = path.join(ROOT, "workers", "src", "main.ts");

function runMain(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, output: () => out, exited };
}

describe("worker process (main.ts)", function () {
  it("exits 2 with one line naming a bad variable", async () => {
    const run = runMain({ DATABASE_URL: "postgres://db/x", SAGA_PATTERNS: "compensation,magic" });
    assert.strictEqual(await run.exited, 2);
    assert.strictEqual(run.output(), "invalid configuration: SAGA_PATTERNS each entry must be one of compensation, timeout, retry (got \"compensation,magic\")\n");
  });

  describe("with PostgreSQL, Redis Streams, the gateway peer and a service", () => {
    let pg: PostgresServer;
    let redis: RedisServer;
    let peer: GatewayPeer;
    let svc: TestService;
    let run: ReturnType<typeof runMain> | undefined;
    let port: number;

    before(async () => {
      [pg, redis, peer] = await Promise.all([startPostgres(), startRedis(), GatewayPeer.start()]);
      svc = await startService("inventory", (c) => ({ status: 200, body: { reserved: c.body.orderId }, delayMs: c.body.slow ? 800 : 0 }));
      port = await freePort();
      run = runMain({
        ZEEBE_GRPC_ADDRESS: peer.address,
        CAMUNDA_AUTH_STRATEGY: "NONE",
        DATABASE_URL: await freshDatabase(pg.url, "mainproc"),
        REDIS_URL: redis.url,
        ENABLE_EVENT_STREAMING: "true",
        EVENT_BUS: "redis-streams",
        TOPICS_PREFIX: "shop",
        DISCOVERY_STATIC_SERVICES: JSON.stringify({ inventory: svc.url }),
        PORT: String(port),
        POLL_INTERVAL_MS: "20",
        SHUTDOWN_DRAIN_MS: "5000",
      });
      const deadline = Date.now() + 60000;
      for (;;) {
        const ok = await getJson(`http://127.0.0.1:${port}/actuator/ready`).then((r) => r.status === 200, () => false);
        if (ok) break;
        if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`worker never became ready:\n${run.output()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    after(async () => {
      if (run && run.child.exitCode === null) run.child.kill("SIGKILL");
      await peer.stop();
      await svc.stop();
      await redis.stop();
      await pg.stop();
    });

    it("deploys the bundled models and logs JSON", () => {
      assert.deepStrictEqual(peer.deployments.map((d) => d.name).sort(), ["compensation-saga.bpmn", "parallel-orchestration.bpmn"]);
      const started = run!.output().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).find((l) => l.msg === "worker started");
      assert.ok(started, run!.output());
      assert.ok(started.types.includes("publish-and-wait"));
      assert.ok(started.types.includes("call-microservice-inventory"));
      assert.ok(started.types.includes("compensate-inventory"));
    });

    it("publishes step events to Redis Streams and starts a process once for a trigger delivered twice", async () => {
      const key = peer.addJob({ type: "call-microservice-inventory", elementId: "ReserveStock", variables: { orderId: "o-main" } });
      await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 10000, "completion");
      const client = new Redis(redis.url);
      try {
        const deadline = Date.now() + 5000;
        let types: string[] = [];
        while (Date.now() < deadline && !types.includes("step.completed")) {
          const entries = await client.xrange("shop.workflow-events", "-", "+");
          types = entries.map(([, f]) => JSON.parse(f[f.indexOf("value") + 1]).type);
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.deepStrictEqual(types, ["step.started", "step.completed"]);
        assert.strictEqual(await client.xlen("shop.service-results"), 1);
      } finally {
        client.disconnect();
      }

      const producer = new RedisStreamsBus({ url: redis.url, clientId: "test-producer" });
      try {
        const trigger = { key: "o-77", value: { bpmnProcessId: "compensation-saga", variables: { orderId: "o-77" } }, headers: { "event-id": "trigger-77" } };
        await producer.publish("shop.triggers", trigger);
        await producer.publish("shop.triggers", trigger);
        await peer.waitFor(() => peer.processStarts.length >= 1, 15000, "process start");
        await new Promise((r) => setTimeout(r, 1000));
        assert.strictEqual(peer.processStarts.length, 1);
        assert.deepStrictEqual(peer.processStarts[0].variables, { orderId: "o-77" });
      } finally {
        await producer.close();
      }
    });

    it("on SIGTERM stops activating, finishes the running job and exits 0", async () => {
      const key = peer.addJob({ type: "call-microservice-inventory", elementId: "Slow", variables: { orderId: "o-slow", slow: true } });
      await peer.waitFor(() => svc.calls.some((c) => c.body.orderId === "o-slow"), 10000, "slow call started");
      run!.child.kill("SIGTERM");
      const deadline = Date.now() + 5000;
      while (!run!.output().includes("shutting down") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const queued = peer.addJob({ type: "call-microservice-inventory", elementId: "Late", variables: { orderId: "o-late" } });
      assert.strictEqual(await run!.exited, 0, run!.output());
      assert.ok(peer.completions.some((c) => c.jobKey === key), "the running job was drained");
      assert.ok(!peer.completions.some((c) => c.jobKey === queued), "no new job after SIGTERM");
      assert.match(run!.output(), /"msg":"shutdown complete"/);
    });
  });
});
