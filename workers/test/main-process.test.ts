// The worker as a process (src/main.ts): configuration errors, streaming wiring against real
// Redis Streams, the bundled models, and graceful shutdown on SIGTERM.
import * as assert from "assert";
import * as fs from "fs";
import Redis from "ioredis";
import * as os from "os";
import * as path from "path";
import { RedisStreamsBus } from "../src/events/redis-streams-bus";
import { FakeKubeApi, writeKubeconfig } from "./support/fake-kube-api";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, getJson, workflowsDir } from "./support/harness";
import { startService, TestService } from "./support/http-services";
import { MainProcess, runMain, waitForOutput, waitReady } from "./support/main-process";
import { freePort, PostgresServer, RedisServer, startPostgres, startRedis } from "./support/servers";

/** A kubeconfig file pointing at the loopback API peer (read by KubeConfig.loadFromDefault). */
function kubeconfigFile(server: string, token: string): { file: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-"));
  return { file: writeKubeconfig(dir, server, token), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

describe("worker process (main.ts)", function () {
  it("exits 2 with one line naming a bad variable", async () => {
    const run = runMain({ DATABASE_URL: "postgres://db/x", SAGA_PATTERNS: "compensation,magic" });
    assert.strictEqual(await run.exited, 2);
    assert.strictEqual(
      run.output(),
      'invalid configuration: SAGA_PATTERNS each entry must be one of compensation, timeout, retry (got "compensation,magic")\n',
    );
  });

  describe("with PostgreSQL, Redis Streams, the gateway peer and a service", () => {
    let pg: PostgresServer;
    let redis: RedisServer;
    let peer: GatewayPeer;
    let svc: TestService;
    let run: MainProcess | undefined;
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
        const ok = await getJson(`http://127.0.0.1:${port}/actuator/ready`).then(
          (r) => r.status === 200,
          () => false,
        );
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
      const started = run!
        .output()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l))
        .find((l) => l.msg === "worker started");
      assert.ok(started, run!.output());
      assert.ok(started.types.includes("publish-and-wait"));
      assert.ok(started.types.includes("call-microservice-inventory"));
      assert.ok(started.types.includes("compensate-inventory"));
    });

    it("checks the de-duplication Redis for readiness besides the bus, PostgreSQL and Zeebe", async () => {
      const ready = await getJson(`http://127.0.0.1:${port}/actuator/ready`);
      assert.deepStrictEqual(ready.body.checks, { zeebe: "UP", postgres: "UP", eventBus: "UP", dedupRedis: "UP" });
    });

    it("reports event streaming connectivity in /metrics: the bus up, the bridge's lag per inbound topic", async () => {
      const metrics = (await getJson(`http://127.0.0.1:${port}/metrics`)).text;
      assert.match(metrics, /\nworker_event_bus_up\{bus="redis-streams"\} 1\n/);
      for (const topic of ["shop.triggers", "shop.responses", "shop.errors"]) {
        assert.match(metrics, new RegExp(`\\nworker_event_consumer_lag\\{topic="${topic}",group="event-bridge"\\} 0\\n`));
      }
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
        // Tracing is not configured: no trace context goes out, to the service or with the events.
        assert.ok(svc.calls.every((c) => c.headers.traceparent === undefined));
        assert.ok((await client.xrange("shop.workflow-events", "-", "+")).every(([, f]) => !("traceparent" in JSON.parse(f[f.indexOf("headers") + 1]))));
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
      assert.ok(
        peer.completions.some((c) => c.jobKey === key),
        "the running job was drained",
      );
      assert.ok(!peer.completions.some((c) => c.jobKey === queued), "no new job after SIGTERM");
      assert.match(run!.output(), /"msg":"shutdown complete"/);
    });
  });

  describe("with Kubernetes discovery against the API peer, fed malformed data", () => {
    let pg: PostgresServer;
    let peer: GatewayPeer;
    let kube: FakeKubeApi;
    let kubeconfig: ReturnType<typeof kubeconfigFile>;
    let run: MainProcess | undefined;
    let port: number;

    before(async () => {
      [pg, peer, kube] = await Promise.all([startPostgres(), GatewayPeer.start(), FakeKubeApi.start()]);
      kubeconfig = kubeconfigFile(kube.url, "test-token");
      port = await freePort();
    });
    after(async () => {
      if (run && run.child.exitCode === null) run.child.kill("SIGKILL");
      kubeconfig.remove();
      await kube.stop();
      await peer.stop();
      await pg.stop();
    });

    it("starts despite malformed list items, survives malformed watch events, and keeps following the watch", async () => {
      kube.upsert("shop", "payment", 8080);
      kube.malformedListItems = [null, {}, { metadata: { namespace: "shop" } }, { metadata: { name: "odd", namespace: "shop" }, spec: { ports: "80" } }];
      run = runMain({
        ZEEBE_GRPC_ADDRESS: peer.address,
        DATABASE_URL: await freshDatabase(pg.url, "mainkube"),
        KUBECONFIG: kubeconfig.file,
        DISCOVERY_NAMESPACES: "shop",
        PORT: String(port),
        // Without event streaming the worker refuses the bundled saga model (publish-and-wait): ship none.
        WORKFLOWS_DIR: workflowsDir([]),
      });
      await waitReady(run, port);
      assert.match(run.output(), /"msg":"malformed Service skipped"/);

      await new Promise((r) => setTimeout(r, 200));
      for (const event of [
        { type: "ADDED" },
        { type: "MODIFIED", object: null },
        { type: "DELETED", object: { spec: {} } },
        { type: "BOOKMARK" },
        { type: "ERROR" },
      ])
        kube.emitRaw(event);
      kube.upsert("shop", "ledger", 8080);
      await waitForOutput(run, /"type":"call-microservice-ledger","msg":"job worker started"/, "worker for a Service added after the malformed events");
      await new Promise((r) => setTimeout(r, 300));

      assert.strictEqual(run.child.exitCode, null, run.output());
      assert.strictEqual((await getJson(`http://127.0.0.1:${port}/actuator/health`)).status, 200);
      const metrics = (await getJson(`http://127.0.0.1:${port}/metrics`)).text;
      assert.match(metrics, /worker_discovery_malformed_objects_total\{source="watch"\} [5-9]/);
      assert.match(metrics, /worker_unhandled_rejections_total 0/);
      // Discovery health: both Services known, the watch of the namespace connected, listed at start.
      assert.match(metrics, /\nworker_discovery_services 2\n/);
      assert.match(metrics, /\nworker_discovery_watch_connected\{watched_namespace="shop"\} 1\n/);
      assert.match(metrics, /\nworker_discovery_last_list_timestamp_seconds\{watched_namespace="shop"\} \d{10}\n/);
      assert.doesNotMatch(run.output(), /unhandled|worker failed/i);
    });
  });

  describe("never writes a credential or a payload to its output", () => {
    const MARKER = "s3cr3t-marker-7f3a";
    const PAYLOAD = "4111-payload-marker";
    let pg: PostgresServer;
    let redis: RedisServer;
    let peer: GatewayPeer;
    const services: TestService[] = [];
    let run: MainProcess | undefined;
    let port: number;

    before(async () => {
      [pg, redis, peer] = await Promise.all([startPostgres(), startRedis({ password: MARKER }), GatewayPeer.start({ redeliverFailedJobs: false })]);
      services.push(
        await startService("inventory", (c) =>
          c.path === "/api/compensate" ? { status: 500, body: { error: `undo of ${PAYLOAD} failed` } } : { status: 200, body: { reserved: PAYLOAD } },
        ),
        await startService("payment", () => ({ status: 500, body: { error: `card ${PAYLOAD} declined` } })),
        await startService("shipping", () => ({ status: 422, body: { reason: PAYLOAD } })),
      );
      port = await freePort();
    });
    after(async () => {
      if (run && run.child.exitCode === null) run.child.kill("SIGKILL");
      await peer.stop();
      for (const s of services) await s.stop();
      await redis.stop();
      await pg.stop();
    });

    it("a configuration error names the variable, never its credential", async () => {
      const bad = runMain({ DATABASE_URL: `mysql://saga:${MARKER}@db/x`, REDIS_URL: `redis://:${MARKER}@r:6379` });
      assert.strictEqual(await bad.exited, 2);
      assert.strictEqual(bad.output(), 'invalid configuration: DATABASE_URL must be a URL with scheme postgres or postgresql (got "mysql://saga:***@db/x")\n');
    });

    it("calls, failures, a rejection, a credential-carrying service URL and a dead letter during a Redis outage leave no trace of either", async () => {
      const database = new URL(await freshDatabase(pg.url, "mainsecrets"));
      database.password = MARKER; // the test server trusts loopback: any password connects
      const [inventory, payment, shipping] = services;
      run = runMain({
        ZEEBE_GRPC_ADDRESS: peer.address,
        DATABASE_URL: database.toString(),
        REDIS_URL: redis.url,
        ENABLE_EVENT_STREAMING: "true",
        EVENT_BUS: "redis-streams",
        TOPICS_PREFIX: "sec",
        DISCOVERY_STATIC_SERVICES: JSON.stringify({
          inventory: inventory.url,
          payment: payment.url,
          shipping: shipping.url,
          ledger: `http://ledger:${MARKER}@${new URL(inventory.url).host}`,
        }),
        PORT: String(port),
        BACKOFF_BASE_MS: "100",
        LOG_LEVEL: "debug",
      });
      await waitReady(run, port);

      const pik = "7000000000000001";
      const variables = { orderId: "o-secret", card: PAYLOAD };
      const keys = ["inventory", "payment", "shipping", "ledger"].map((svc) =>
        peer.addJob({ type: `call-microservice-${svc}`, processInstanceKey: pik, elementId: `Call-${svc}`, variables }),
      );
      const settled = (k: string) => [...peer.completions, ...peer.failures, ...peer.errors].some((a) => a.jobKey === k);
      await peer.waitFor(() => keys.every(settled), 15000, "the four calls");
      assert.ok(peer.completions.some((c) => c.jobKey === keys[0]));
      assert.ok(peer.errors.some((e) => e.jobKey === keys[2]));

      await redis.stop();
      const comp = peer.addJob({ type: "compensate-inventory", processInstanceKey: pik, elementId: "Undo-inventory", retries: 1 });
      await peer.waitFor(() => peer.failures.some((f) => f.jobKey === comp), 20000, "the dead-lettered compensation");
      // The dead letter waits in the outbox behind the instance's earlier events; the relay's failed publishes are
      // logged (topics and error, never the records).
      await waitForOutput(run, /"msg":"compensation out of retries: dead-lettered, incident raised"/, "dead-letter log line");
      await waitForOutput(run, /"msg":"outbox publish failed; will retry"/, "outbox publish failure log line");
      run.child.kill("SIGTERM");
      await run.exited;

      const output = run.output();
      for (const expected of [
        /"msg":"call failed; job failed"/,
        /"msg":"outbox publish failed; will retry"/,
        /"msg":"(redis|event bus) error"/,
        /request cannot be constructed from a URL that includes credentials: http:\/\/ledger:\*\*\*@/i,
      ]) {
        assert.match(output, expected);
      }
      assert.ok(
        !output.includes(MARKER),
        `a credential in the output:\n${output
          .split("\n")
          .filter((l) => l.includes(MARKER))
          .join("\n")}`,
      );
      assert.ok(
        !output.includes(PAYLOAD),
        `a payload in the output:\n${output
          .split("\n")
          .filter((l) => l.includes(PAYLOAD))
          .join("\n")}`,
      );
      const messages = [...peer.failures.map((f) => f.errorMessage), ...peer.errors.map((e) => e.errorMessage)].join("\n");
      assert.ok(!messages.includes(MARKER) && !messages.includes(PAYLOAD), messages);
    });
  });
});
