import { strict as assert } from "node:assert";
import { Camunda8 } from "@camunda8/sdk";
import Redis from "ioredis";
import {
  BridgeZeebe,
  COMPENSATION_MESSAGE,
  createRedisDedup,
  DEFAULT_MESSAGE_TTL_MS,
  EventBus,
  InboundEvent,
  startEventBridge,
  topicNames,
  TopicNames,
  toZeebeAction,
} from "../src/events";
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

const quietLog = () => {
  const lines: string[] = [];
  return { lines, info: (_: object, msg: string) => void lines.push(msg), warn: (_: object, msg: string) => void lines.push(msg) };
};

describe("events: bridge mapping (pure)", () => {
  const topics = topicNames("shop");
  const ev = (topic: string, value: unknown): InboundEvent => ({ topic, id: "ev-1", key: "k", value });

  it("maps triggers, responses and errors to Zeebe requests", () => {
    assert.deepEqual(toZeebeAction(ev(topics.triggers, { bpmnProcessId: "p" }), topics), {
      kind: "start",
      request: { bpmnProcessId: "p", variables: {} },
    });
    assert.deepEqual(toZeebeAction(ev(topics.responses, { messageName: "m", correlationKey: "c", variables: { a: 1 }, timeToLiveMs: 5000 }), topics), {
      kind: "message",
      request: { name: "m", correlationKey: "c", timeToLive: 5000, messageId: "ev-1", variables: { a: 1 } },
    });
    assert.deepEqual(
      toZeebeAction(ev(topics.errors, { correlationKey: "c", error: "carrier lost parcel", variables: { b: 2 } }), topics, { defaultTimeToLiveMs: 1234 }),
      {
        kind: "message",
        request: {
          name: COMPENSATION_MESSAGE,
          correlationKey: "c",
          timeToLive: 1234,
          messageId: "ev-1",
          variables: { b: 2, compensationRequest: { error: "carrier lost parcel", eventId: "ev-1" } },
        },
      },
    );
  });

  it("names the failing fields of an invalid event", () => {
    const a = toZeebeAction(ev(topics.responses, { messageName: "", correlationKey: 7 }), topics);
    assert.equal(a.kind, "invalid");
    assert.match((a as { reason: string }).reason, /^invalid response: messageName: .*; correlationKey: /);
    assert.match((toZeebeAction(ev(topics.triggers, "not json"), topics) as { reason: string }).reason, /invalid trigger/);
    assert.match((toZeebeAction(ev("elsewhere", {}), topics) as { reason: string }).reason, /no bridge route for topic elsewhere/);
  });
});

describe("events: bridge over Redis Streams, real Redis de-dup and the real SDK client against the gateway peer", () => {
  let server: RedisServer;
  let redis: Redis;
  let peer: GatewayPeer;
  let c8: Camunda8;
  let bus: EventBus;
  let topics: TopicNames;
  let deadLetters: InboundEvent[];
  let prefixNo = 0;

  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    peer = await GatewayPeer.start();
    c8 = new Camunda8({ ZEEBE_GRPC_ADDRESS: peer.address, CAMUNDA_AUTH_STRATEGY: "NONE", CAMUNDA_LOG_LEVEL: "none" } as never);
  });
  beforeEach(async () => {
    topics = topicNames(`bridge${++prefixNo}`);
    bus = new RedisStreamsBus({ url: server.url, clientId: "bridge-test", blockMs: 100, claimIdleMs: 300 });
    deadLetters = [];
    await bus.subscribe([topics.deadLetter], "dead-letter-reader", async (e) => void deadLetters.push(e));
  });
  afterEach(async () => {
    await bus.close();
  });
  after(async () => {
    await c8.getZeebeGrpcApiClient().close();
    await peer.stop();
    redis.disconnect();
    await server.stop();
  });

  const start = async (zeebe: BridgeZeebe = c8.getZeebeGrpcApiClient()) => {
    const log = quietLog();
    await startEventBridge({ bus, zeebe, dedup: createRedisDedup(redis, { ttlMs: 60_000 }), topics, log });
    return log;
  };

  it("starts a process for a trigger, and publishes messages for responses and errors with TTL and event id", async () => {
    await start();
    await bus.publish(topics.triggers, { key: "o-1", value: { bpmnProcessId: "compensation-saga", variables: { sagaId: "o-1" } } });
    await bus.publish(topics.responses, {
      key: "o-1",
      value: { messageName: "saga-confirmed", correlationKey: "o-1", variables: { ok: true } },
      headers: { "event-id": "resp-1" },
    });
    await bus.publish(topics.errors, { key: "o-2", value: { correlationKey: "o-2", error: { code: "DAMAGED" } }, headers: { "event-id": "err-1" } });
    await eventually(() => peer.processStarts.some((s) => s.variables.sagaId === "o-1") && peer.messages.some((m) => m.messageId === "err-1"), "zeebe calls");

    assert.deepEqual(peer.processStarts.find((s) => s.variables.sagaId === "o-1")!.bpmnProcessId, "compensation-saga");
    assert.deepEqual(
      peer.messages.find((m) => m.messageId === "resp-1"),
      {
        name: "saga-confirmed",
        correlationKey: "o-1",
        timeToLive: DEFAULT_MESSAGE_TTL_MS,
        messageId: "resp-1",
        variables: { ok: true },
      },
    );
    assert.deepEqual(
      peer.messages.find((m) => m.messageId === "err-1"),
      {
        name: COMPENSATION_MESSAGE,
        correlationKey: "o-2",
        timeToLive: DEFAULT_MESSAGE_TTL_MS,
        messageId: "err-1",
        variables: { compensationRequest: { error: { code: "DAMAGED" }, eventId: "err-1" } },
      },
    );
    assert.deepEqual(deadLetters, []);
  });

  it("handles an event delivered twice only once", async () => {
    const log = await start();
    const dup = { key: "o-3", value: { bpmnProcessId: "p-dup", variables: { n: 3 } }, headers: { "event-id": "dup-1" } };
    await bus.publish(topics.triggers, dup);
    await bus.publish(topics.triggers, dup);
    await bus.publish(topics.triggers, { key: "o-4", value: { bpmnProcessId: "p-after" } });
    await eventually(() => peer.processStarts.some((s) => s.bpmnProcessId === "p-after"), "later trigger");
    await eventually(() => log.lines.includes("duplicate event skipped"), "duplicate skipped");
    assert.equal(peer.processStarts.filter((s) => s.bpmnProcessId === "p-dup").length, 1);
  });

  it("sends malformed events to the dead-letter topic with the reason and keeps consuming", async () => {
    await start();
    await bus.publish(topics.triggers, { key: "bad", value: { bpmnProcessId: 5 }, headers: { "event-id": "bad-1" } });
    await redis.xadd(topics.responses, "*", "key", "raw", "value", "{not json"); // written by a foreign producer
    await bus.publish(topics.triggers, { key: "good", value: { bpmnProcessId: "p-good" } });
    await eventually(() => deadLetters.length === 2 && peer.processStarts.some((s) => s.bpmnProcessId === "p-good"), "dead letters and good trigger");

    const bad = deadLetters.find((d) => d.key === "bad")!;
    assert.equal(bad.id, "dead-letter/bad-1");
    assert.deepEqual(bad.value, {
      reason: (bad.value as { reason: string }).reason,
      sourceTopic: topics.triggers,
      eventId: "bad-1",
      key: "bad",
      value: { bpmnProcessId: 5 },
    });
    assert.match((bad.value as { reason: string }).reason, /^invalid trigger: bpmnProcessId: /);
    const raw = deadLetters.find((d) => d.key === "raw")!.value as { reason: string; value: unknown };
    assert.equal(raw.value, "{not json");
    assert.match(raw.reason, /invalid response/);
  });

  it("dead-letters what Zeebe rejects for good, redelivers what failed transiently, and accepts a duplicate messageId", async () => {
    const calls: string[] = [];
    let unavailableOnce = true;
    const grpcError = (code: number, message: string) => Object.assign(new Error(message), { code });
    const zeebe: BridgeZeebe = {
      async createProcessInstance(req) {
        calls.push(`start ${req.bpmnProcessId}`);
        if (req.bpmnProcessId === "unknown") throw grpcError(5, "5 NOT_FOUND: no process with id unknown");
        if (req.bpmnProcessId === "flaky" && unavailableOnce) {
          unavailableOnce = false;
          throw grpcError(14, "14 UNAVAILABLE: gateway down");
        }
        return { processInstanceKey: "1" };
      },
      async publishMessage(req) {
        calls.push(`message ${req.messageId}`);
        throw grpcError(6, "6 ALREADY_EXISTS: message with id already published");
      },
    };
    await start(zeebe);
    await bus.publish(topics.triggers, { key: "u", value: { bpmnProcessId: "unknown" } });
    await bus.publish(topics.triggers, { key: "f", value: { bpmnProcessId: "flaky" } });
    await bus.publish(topics.responses, { key: "m", value: { messageName: "m", correlationKey: "c" }, headers: { "event-id": "m-1" } });
    await eventually(() => calls.filter((c) => c === "start flaky").length === 2 && deadLetters.length === 1 && calls.includes("message m-1"), "outcomes");
    await new Promise((r) => setTimeout(r, 600));

    assert.deepEqual(calls.filter((c) => c === "start flaky").length, 2, "retried once, then done");
    assert.equal(calls.filter((c) => c === "start unknown").length, 1);
    assert.equal(deadLetters.length, 1, "ALREADY_EXISTS is not a dead letter");
    assert.match((deadLetters[0]!.value as { reason: string }).reason, /zeebe rejected start: 5 NOT_FOUND/);
  });
});
