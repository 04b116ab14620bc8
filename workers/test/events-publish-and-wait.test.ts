import { strict as assert } from "node:assert";
import { Camunda8 } from "@camunda8/sdk";
import pino from "pino";
import { loadConfig } from "../src/config";
import { EventBus, handlePublishAndWait, InboundEvent, PublishAndWaitError, PublishAndWaitJob, topicNames } from "../src/events";
import { resolveTopic } from "../src/events/publish-and-wait";
import { RedisStreamsBus } from "../src/events/redis-streams-bus";
import type { WorkerJob } from "../src/handlers/context";
import { streamingOverrides } from "../src/streaming";
import { GatewayPeer } from "./support/gateway-peer";
import { RedisServer, startRedis } from "./support/servers";

async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const topics = topicNames("shop");
const job = (over: Partial<PublishAndWaitJob> = {}): PublishAndWaitJob => ({
  key: "42",
  processInstanceKey: "7",
  bpmnProcessId: "compensation-saga",
  elementId: "Task_PublishSagaCompleted",
  variables: { sagaId: "o-1", total: 10 },
  customHeaders: { topic: "workflow-events", correlationKey: "sagaId" },
  ...over,
});

describe("events: publish-and-wait checks", () => {
  const unusedBus: EventBus = {
    publish: async () => assert.fail("must not publish"),
    subscribe: async () => undefined,
    ping: async () => undefined,
    close: async () => undefined,
  };

  it("resolves a topic suffix to this orchestrator's topic and keeps full names", () => {
    assert.equal(resolveTopic("workflow-events", topics), "shop.workflow-events");
    assert.equal(resolveTopic("other.requests", topics), "other.requests");
    assert.equal(resolveTopic("nope", topics), undefined);
  });

  it("rejects a misconfigured task as non-retryable, naming what is wrong", async () => {
    const cases: [Partial<PublishAndWaitJob>, RegExp][] = [
      [{ customHeaders: { correlationKey: "sagaId" } }, /header "topic" is missing/],
      [{ customHeaders: { topic: "nope", correlationKey: "sagaId" } }, /unknown topic "nope"/],
      [{ customHeaders: { topic: "workflow-events" } }, /header "correlationKey" is missing/],
      [{ variables: { total: 1 } }, /variable "sagaId" \(correlation key\)/],
      [{ customHeaders: { topic: "workflow-events", correlationKey: "sagaId", payloadVariable: "order" } }, /payload variable "order" is not set/],
    ];
    for (const [over, message] of cases) {
      await assert.rejects(handlePublishAndWait(job(over), unusedBus, topics), (err: unknown) => {
        assert.ok(err instanceof PublishAndWaitError);
        assert.equal(err.retryable, false);
        assert.match(err.message, message);
        return true;
      });
    }
  });

  it("reports a failing bus as retryable", async () => {
    const down: EventBus = {
      ...unusedBus,
      publish: async () => {
        throw new Error("ECONNREFUSED");
      },
    };
    await assert.rejects(
      handlePublishAndWait(job(), down, topics),
      (err: unknown) => err instanceof PublishAndWaitError && err.retryable && /publishing to shop.workflow-events failed: ECONNREFUSED/.test(err.message),
    );
  });
});

describe("events: publish-and-wait as an SDK job worker against the gateway peer and Redis Streams", () => {
  let server: RedisServer;
  let peer: GatewayPeer;
  let c8: Camunda8;
  let bus: RedisStreamsBus;

  before(async () => {
    server = await startRedis();
    peer = await GatewayPeer.start();
    c8 = new Camunda8({ ZEEBE_GRPC_ADDRESS: peer.address, CAMUNDA_AUTH_STRATEGY: "NONE", CAMUNDA_LOG_LEVEL: "none" } as never);
    bus = new RedisStreamsBus({ url: server.url, clientId: "paw-test", blockMs: 100 });
  });
  after(async () => {
    await bus.close();
    await c8.getZeebeGrpcApiClient().close();
    await peer.stop();
    await server.stop();
  });

  it("publishes the variables (or one of them) keyed by the correlation key, then completes the job", async () => {
    const published: InboundEvent[] = [];
    await bus.subscribe([topics.workflowEvents, topics.triggers], "observer", async (e) => void published.push(e));
    const worker = c8.getZeebeGrpcApiClient().createWorker({
      taskType: "publish-and-wait",
      pollInterval: 50,
      taskHandler: async (j) => j.complete(await handlePublishAndWait(j, bus, topics)),
    });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const allKey = peer.addJob({
        type: "publish-and-wait",
        variables: { sagaId: "o-9", total: 3 },
        customHeaders: { topic: "workflow-events", correlationKey: "sagaId" },
      });
      const oneKey = peer.addJob({
        type: "publish-and-wait",
        variables: { orderNo: 12, order: { items: 2 }, secretish: "x" },
        customHeaders: { topic: "shop.triggers", correlationKey: "orderNo", payloadVariable: "order" },
      });
      await eventually(() => peer.completions.length === 2 && published.length === 2, "two completions and two events");

      const all = published.find((e) => e.topic === topics.workflowEvents)!;
      const jobHeaders = (key: string) => ({
        "event-id": `job-${key}`,
        "bpmn-process-id": "test-process",
        "process-instance-key": peer.completions.find((c) => c.jobKey === key)!.job.processInstanceKey,
        "element-id": "publish-and-wait",
      });
      assert.deepEqual(all, { topic: topics.workflowEvents, id: `job-${allKey}`, key: "o-9", value: { sagaId: "o-9", total: 3 }, headers: jobHeaders(allKey) });
      assert.deepEqual(peer.completions.find((c) => c.jobKey === allKey)!.variables, {
        publishedEvent: { topic: topics.workflowEvents, eventId: `job-${allKey}`, key: "o-9" },
      });
      const one = published.find((e) => e.topic === topics.triggers)!;
      assert.deepEqual(one, { topic: topics.triggers, id: `job-${oneKey}`, key: "12", value: { items: 2 }, headers: jobHeaders(oneKey) });
    } finally {
      await worker.close();
    }
  });
});

describe("events: what the worker does with a publish-and-wait job (streaming wiring, Redis Streams bus)", () => {
  let server: RedisServer;
  let streaming: ReturnType<typeof streamingOverrides>;
  type Action = { kind: "complete" | "fail"; arg: any };
  const recordingJob = (over: Partial<PublishAndWaitJob> = {}): WorkerJob & { actions: Action[] } => {
    const actions: Action[] = [];
    return {
      ...job(over),
      type: "publish-and-wait",
      elementInstanceKey: "43",
      retries: 3,
      actions,
      complete: async (v) => actions.push({ kind: "complete", arg: v }),
      fail: async (c) => actions.push({ kind: "fail", arg: c }),
      error: async () => assert.fail("publish-and-wait never throws a BPMN error"),
    };
  };
  const handle = (j: WorkerJob) => streaming.overrides.extraHandlers!(undefined as never)["publish-and-wait"](j);

  before(async () => {
    server = await startRedis();
    const config = loadConfig({
      DATABASE_URL: "postgres://unused@127.0.0.1:1/x",
      ENABLE_EVENT_STREAMING: "true",
      EVENT_BUS: "redis-streams",
      REDIS_URL: server.url,
      TOPICS_PREFIX: "shop",
      BACKOFF_BASE_MS: "200",
      BACKOFF_CAP_MS: "5000",
    });
    streaming = streamingOverrides(config, pino({ level: "silent" }));
  });
  after(async () => {
    await streaming.close();
    await server.stop();
  });

  it("completes the job once the event is published", async () => {
    const j = recordingJob();
    await handle(j);
    assert.deepEqual(j.actions, [{ kind: "complete", arg: { publishedEvent: { topic: topics.workflowEvents, eventId: "job-42", key: "o-1" } } }]);
  });

  it("a bus outage fails the job with one retry fewer and a backoff; it completes once the bus is back", async () => {
    await server.pause();
    const j = recordingJob();
    try {
      await handle(j);
    } finally {
      await server.resume();
    }
    assert.equal(j.actions.length, 1);
    const [{ kind, arg }] = j.actions;
    assert.equal(kind, "fail");
    assert.equal(arg.retries, 2, "a bus outage uses up one retry, so a bus that never comes back ends as an incident");
    assert.ok(arg.retryBackOff >= 100 && arg.retryBackOff <= 200, `backoff ${arg.retryBackOff} ms (base 200 with jitter)`);
    assert.match(arg.errorMessage, /publishing to shop.workflow-events failed/);
    const last = recordingJob({ key: "44" });
    last.retries = 1;
    await server.pause();
    try {
      await handle(last);
    } finally {
      await server.resume();
    }
    assert.deepEqual([last.actions[0].arg.retries, last.actions[0].arg.retryBackOff], [0, 0], "the last retry ends as an incident, without backoff");
    const again = recordingJob();
    for (const until = Date.now() + 10000; ;) {
      await handle(again);
      if (again.actions.at(-1)?.kind === "complete" || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(again.actions.at(-1)?.kind, "complete");
  });

  it("a misconfigured task is an incident at once: no retries, no backoff", async () => {
    const j = recordingJob({ customHeaders: { correlationKey: "sagaId" } });
    await handle(j);
    assert.deepEqual(
      j.actions.map((a) => [a.kind, a.arg.retries, a.arg.retryBackOff]),
      [["fail", 0, 0]],
    );
    assert.match(j.actions[0].arg.errorMessage, /header "topic" is missing/);
  });
});
