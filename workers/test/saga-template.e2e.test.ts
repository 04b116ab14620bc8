// The shipped compensation-saga template, executed end to end: the gateway peer runs the model
// (executing mode), the real worker serves its jobs with PostgreSQL, Redis Streams and loopback HTTP
// services, once per combination of saga patterns.
import * as assert from "assert";
import Redis from "ioredis";
import { checkServed } from "../src/app";
import { ConfigError } from "../src/config";
import { readWorkflows } from "../src/deploy";
import { RedisStreamsBus } from "../src/events/redis-streams-bus";
import { fromStreamEntry } from "../src/events/redis-streams-mapping";
import type { ProcessInstance } from "./support/executing-engine";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, runStreamingWorker, TEMPLATES_DIR, testConfig } from "./support/harness";
import { RecordedCall, startService, TestService } from "./support/http-services";
import { PostgresServer, RedisServer, startPostgres, startRedis } from "./support/servers";

const PROCESS = "compensation-saga";
const PATTERNS = ["compensation", "timeout", "retry"] as const;
// Every non-empty combination (an empty SAGA_PATTERNS means the default, all three).
const combinations = (): string[][] => [1, 2, 3, 4, 5, 6, 7].map((m) => PATTERNS.filter((_, i) => m & (1 << i)));

/**
 * Services whose behaviour a scenario variable picks: "reject" (shipping answers 409), "slow"
 * (shipping answers only once the test ends, long after the step's timer), "flaky" (payment answers 503 once), "undo-fails" (shipping
 * rejects and payment's compensation answers 500). Payment's compensation takes 300 ms, so undo steps run at once would overlap.
 */
function behaviour(name: string, held: Promise<unknown>) {
  const flakySeen = new Set<string>();
  return (c: RecordedCall) => {
    const undo = c.path === "/api/compensate";
    const scenario = (undo ? c.body.request?.scenario : c.body.scenario) as string;
    if (undo) {
      if (scenario === "undo-fails" && name === "payment") return { status: 500, body: { error: "refund system down" } };
      return { status: 200, body: { undone: c.body.elementId }, delayMs: name === "payment" ? 300 : 0 };
    }
    if ((scenario === "reject" || scenario === "undo-fails") && name === "shipping") return { status: 409, body: { error: "no carrier" } };
    if (scenario === "slow" && name === "shipping") return { status: 200, body: { late: true }, until: held };
    if (scenario === "flaky" && name === "payment" && !flakySeen.has(c.body.sagaId)) {
      flakySeen.add(c.body.sagaId);
      return { status: 503, body: { error: "busy" } };
    }
    return { status: 200, body: { done: name, sagaId: c.body.sagaId } };
  };
}

describe("compensation-saga template end to end (executing peer, real worker)", function () {
  let pg: PostgresServer;
  let redis: RedisServer;
  let peer: GatewayPeer;
  let client: Redis;
  let producer: RedisStreamsBus;
  const services: TestService[] = [];
  const svc = (name: string) => services.find((s) => s.name === name)!;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));

  before(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    for (const name of ["inventory", "payment", "shipping"]) services.push(await startService(name, behaviour(name, held)));
    client = new Redis(redis.url);
    producer = new RedisStreamsBus({ url: redis.url, clientId: "test-producer" });
  });
  after(async () => {
    release();
    await producer.close();
    client.disconnect();
    for (const s of services) await s.stop();
    await Promise.all([redis.stop(), pg.stop()]);
  });

  const callsOf = (name: string, pik: string, path: string) =>
    svc(name)
      .callsTo(path)
      .filter((c) => (path === "/api/compensate" ? c.body.processInstanceKey === pik : c.headers["idempotency-key"]?.toString().includes(pik)));
  const stream = async (topic: string) => (await client.xrange(topic, "-", "+")).map(([id, f]) => fromStreamEntry(topic, id, f).value as Record<string, any>);
  const start = async (scenario: string, sagaId: string, extra: Record<string, unknown> = {}) => {
    const zb = peer.engine!;
    return zb.createInstance({ bpmnProcessId: PROCESS, variables: { sagaId, scenario, ...extra } }).key;
  };
  const elementsOf = (i: ProcessInstance, event: string) => i.elements.filter((e) => e.event === event).map((e) => e.elementId);

  /** Reverse order of completion: payment's undo finished before inventory's undo was called. */
  function assertUndoneInReverse(pik: string): void {
    const undoPay = callsOf("payment", pik, "/api/compensate");
    const undoInv = callsOf("inventory", pik, "/api/compensate");
    assert.strictEqual(undoPay.length, 1, "payment undone once");
    assert.strictEqual(undoInv.length, 1, "inventory undone once");
    assert.strictEqual(callsOf("shipping", pik, "/api/compensate").length, 0, "shipping never completed: not compensated");
    assert.ok(
      undoInv[0].at >= undoPay[0].at + 290,
      `inventory undone after payment's undo finished (payment at ${undoPay[0].at}, inventory at ${undoInv[0].at})`,
    );
    const runs = peer.instance(pik).compensations;
    const pay = runs.find((r) => r.compensates === "Task_Payment")!;
    const inv = runs.find((r) => r.compensates === "Task_Inventory")!;
    assert.ok(pay.completed! <= inv.started, "the inventory handler started after the payment handler completed");
  }

  for (const patterns of combinations()) {
    const compensation = patterns.includes("compensation");
    const retry = patterns.includes("retry");
    if (!compensation) {
      // Without compensation no worker serves compensate-* jobs, so a saga would wait forever at its first undo,
      // with no incident: the worker refuses the template at start-up, before it connects to anything.
      it(`SAGA_PATTERNS=${patterns.join(",")}: the worker refuses the template, naming the compensate-* tasks it would not serve`, () => {
        const config = testConfig({ address: "grpc://127.0.0.1:1" } as GatewayPeer, "postgres://nobody@127.0.0.1:1/none", services, {
          WORKFLOWS_DIR: TEMPLATES_DIR,
          SAGA_PATTERNS: patterns.join(","),
          ENABLE_EVENT_STREAMING: "true",
          EVENT_BUS: "redis-streams",
          REDIS_URL: redis.url,
        });
        assert.throws(
          () => checkServed(readWorkflows(TEMPLATES_DIR), config),
          (err: Error) =>
            err instanceof ConfigError &&
            /compensation-saga\.bpmn uses task type compensate-payment, which this worker does not serve: the compensation saga pattern is off/.test(
              err.message,
            ),
        );
      });
      continue;
    }
    describe(`SAGA_PATTERNS=${patterns.join(",")}`, () => {
      let stop: () => Promise<void>;
      const tag = patterns.map((p) => p[0]).join("");
      before(async () => {
        // A peer per combination: a worker stopped with a call in flight may still take a job as it goes.
        peer = await GatewayPeer.start({ execute: true });
        const config = testConfig(peer, await freshDatabase(pg.url, `saga_${tag}`), services, {
          WORKFLOWS_DIR: TEMPLATES_DIR,
          SAGA_PATTERNS: patterns.join(","),
          ENABLE_EVENT_STREAMING: "true",
          EVENT_BUS: "redis-streams",
          REDIS_URL: redis.url,
          TOPICS_PREFIX: `shop-${tag}`,
        });
        ({ stop } = await runStreamingWorker(config));
      });
      after(async () => {
        await stop();
        await peer.stop();
      });

      it("runs every scenario to the end state the patterns imply", async () => {
        const ok = await start("ok", `${tag}-ok`);
        const rejected = await start("reject", `${tag}-reject`);
        const undoFails = await start("undo-fails", `${tag}-undo`);
        // A generous step timer: the steps before shipping must finish within it even on a loaded machine.
        const slow = await start("slow", `${tag}-slow`, { stepTimeout: "PT4S" });
        const flaky = await start("flaky", `${tag}-flaky`);

        // All steps succeed; the confirmation arrives on the responses topic and correlates.
        await peer.waitFor(() => peer.instance(ok).subscriptions.size > 0, 15000, "ok: waiting for confirmation");
        await producer.publish(`shop-${tag}.responses`, {
          key: `${tag}-ok`,
          value: { messageName: "saga-confirmed", correlationKey: `${tag}-ok` },
          headers: { "event-id": `confirm-${tag}` },
        });
        const okEnd = await peer.waitForEnd(ok, 15000);
        assert.deepStrictEqual(okEnd.endEvents, ["End_SagaCompleted"]);
        assert.deepStrictEqual(
          ["inventory", "payment", "shipping"].map((s) => callsOf(s, ok, "/api/process").length),
          [1, 1, 1],
        );
        assert.deepStrictEqual(okEnd.variables.shipping, { done: "shipping", sagaId: `${tag}-ok` });

        // Step 3 rejected.
        if (compensation) {
          const r = await peer.waitForEnd(rejected, 15000);
          assert.deepStrictEqual(r.endEvents, ["End_SagaCompensated"]);
          assertUndoneInReverse(rejected);
          assert.deepStrictEqual(r.incidents, []);
        } else {
          // No compensate-* worker: the saga waits at its first undo, nothing is undone.
          await peer.waitFor(() => peer.instance(rejected).activeElements().includes("Task_CompensatePayment"), 15000, "waiting at the payment undo");
          assert.strictEqual(peer.instance(rejected).state, "ACTIVE");
          assert.strictEqual(callsOf("payment", rejected, "/api/compensate").length + callsOf("inventory", rejected, "/api/compensate").length, 0);
        }

        // The slow step takes the timeout path and compensates what completed.
        await peer.waitFor(
          () => peer.instance(slow).elements.some((e) => e.elementId === "Task_Shipping" && e.event === "terminated"),
          15000,
          "shipping interrupted by its timer",
        );
        const timer = [...peer.instance(slow).definition.model.elements.values()].find((e) => e.attachedTo === "Task_Shipping" && e.event === "timer")!;
        assert.ok(elementsOf(peer.instance(slow), "completed").includes(timer.id), "the timer boundary of shipping fired");
        if (compensation) {
          const s = await peer.waitForEnd(slow, 15000);
          assert.deepStrictEqual(s.endEvents, ["End_SagaCompensated"]);
          assertUndoneInReverse(slow);
        }

        // Transient failure of payment: retried with the retry pattern, an incident without.
        if (retry) {
          await peer.waitFor(() => peer.instance(flaky).subscriptions.size > 0, 15000, "flaky: retried and went on");
          assert.strictEqual(callsOf("payment", flaky, "/api/process").length, 2);
        } else {
          await peer.waitFor(() => peer.instance(flaky).incidents.length === 1, 15000, "flaky: incident without retries");
          assert.strictEqual(peer.instance(flaky).incidents[0].elementId, "Task_Payment");
          assert.strictEqual(callsOf("payment", flaky, "/api/process").length, 1);
        }

        // An undo that keeps failing: dead letter and an incident; inventory waits behind it (reverse order).
        if (compensation) {
          await peer.waitFor(() => peer.instance(undoFails).incidents.length === 1, 20000, "incident on the failing undo");
          const inc = peer.instance(undoFails).incidents[0];
          assert.strictEqual(inc.elementId, "Task_CompensatePayment");
          assert.match(inc.message, /dead-lettered/);
          assert.strictEqual(callsOf("payment", undoFails, "/api/compensate").length, 5, "every retry of the model used");
          assert.strictEqual(callsOf("inventory", undoFails, "/api/compensate").length, 0, "inventory is not undone before payment");
          const dead = (await stream(`shop-${tag}.dead-letter`)).filter((d) => d.processInstanceKey === undoFails);
          assert.strictEqual(dead.length, 1);
          assert.strictEqual(dead[0].service, "payment");
          assert.strictEqual(dead[0].replay[0].body.elementId, "Task_Payment");
        }
      });
    });
  }
});
