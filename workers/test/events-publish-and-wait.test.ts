import { strict as assert } from "node:assert";
import { Camunda8 } from "@camunda8/sdk";
import { EventBus, handlePublishAndWait, InboundEvent, PublishAndWaitError, PublishAndWaitJob, topicNames } from "../src/events";
import { resolveTopic } from "../src/events/publish-and-wait";
import { RedisStreamsBus } from "../src/events/redis-streams-bus";
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
