// Issue 7 item 10: a trigger starts its process once, even when the de-duplication in Redis is lost.
// The bridge runs on the mock Kafka cluster (librdkafka), with a real redis-server for de-duplication and the real
// SDK client against the gateway peer, which has the shipped templates deployed.
import * as assert from "assert";
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { Camunda8 } from "@camunda8/sdk";
import Redis from "ioredis";
import { deployWorkflows, readWorkflows } from "../src/deploy";
import { BridgeZeebe, createRedisDedup, EventBus, startEventBridge, topicNames } from "../src/events";
import { KafkaBus } from "../src/events/kafka-bus";
import { processesStartedByMessage } from "../src/events/message-start";
import { eventually } from "./support/eventually";
import { GatewayPeer } from "./support/gateway-peer";
import { KafkaMockServer, RedisServer, startKafkaMock, startRedis } from "./support/servers";

const SHIPPED = path.join(__dirname, "..", "workflows");

describe("events: idempotent process start (bridge on the mock Kafka cluster)", function () {
  this.timeout(120_000);
  let kafka: KafkaMockServer;
  let redisServer: RedisServer;
  let peer: GatewayPeer;
  let c8: Camunda8;
  const lines: string[] = [];
  const log = { info: (_: object, msg: string) => void lines.push(msg), warn: (_: object, msg: string) => void lines.push(msg) };

  before(async () => {
    [kafka, redisServer, peer] = await Promise.all([startKafkaMock(), startRedis(), GatewayPeer.start()]);
    c8 = new Camunda8({ ZEEBE_GRPC_ADDRESS: peer.address, CAMUNDA_AUTH_STRATEGY: "NONE", CAMUNDA_LOG_LEVEL: "none" } as never);
    await deployWorkflows(c8.getZeebeGrpcApiClient(), readWorkflows(SHIPPED));
  });
  after(async () => {
    await c8.getZeebeGrpcApiClient().close();
    await peer.stop();
    await redisServer.stop();
    await kafka.stop();
  });

  const instancesOf = (sagaId: string) => peer.processStarts.filter((s) => s.bpmnProcessId === "compensation-saga" && s.variables.sagaId === sagaId);

  async function bridge(prefix: string, zeebe: BridgeZeebe, redis: Redis): Promise<EventBus> {
    const bus = new KafkaBus({ brokers: kafka.brokers, clientId: prefix, onError: () => undefined });
    const topics = topicNames(prefix);
    await bus.publish(topics.triggers, { key: "warm-up", value: {} }); // creates the topic (and is dead-lettered)
    await bus.publish(topics.responses, { key: "warm-up", value: {} });
    await bus.publish(topics.errors, { key: "warm-up", value: {} });
    await startEventBridge({
      bus,
      zeebe,
      topics,
      log,
      group: prefix, // a group of its own per test: no rebalance waiting on another test's consumer
      dedup: createRedisDedup(redis, { ttlMs: 60_000, leaseMs: 5_000 }),
      messageStartProcesses: processesStartedByMessage(readWorkflows(SHIPPED)),
    });
    return bus;
  }

  it("the 'done' mark fails after the start (Redis killed), the trigger is redelivered to an empty Redis: one instance", async () => {
    const prefix = `start-${randomUUID().slice(0, 8)}`;
    const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 3 });
    redis.on("error", () => undefined);
    const real = c8.getZeebeGrpcApiClient();
    let killed = false;
    // Redis dies right after Zeebe accepted the start (whichever call started it), so the bridge cannot write its mark.
    const thenKillRedis = async <T>(started: T): Promise<T> => {
      if (!killed) {
        killed = true;
        await redisServer.pause("SIGKILL");
        setTimeout(() => void redisServer.resume(), 1_500); // back empty: it kept no data
      }
      return started;
    };
    const zeebe: BridgeZeebe = {
      createProcessInstance: async (req) => thenKillRedis(await real.createProcessInstance(req)),
      publishMessage: async (req) => thenKillRedis(await real.publishMessage(req)),
    };
    const bus = await bridge(prefix, zeebe, redis);
    try {
      await bus.publish(topicNames(prefix).triggers, {
        key: "o-1",
        value: { bpmnProcessId: "compensation-saga", variables: { sagaId: "o-1" } },
        headers: { "event-id": "trigger-o-1" },
      });
      // The failed mark makes the handler throw, so Kafka hands the trigger out again; the retry meets Zeebe's refusal.
      await eventually(
        async () => killed && (await redis.get(`dedup:${prefix}:trigger-o-1`).catch(() => null)) === "done",
        "the redelivered trigger handled (its mark in the new Redis)",
        60_000,
      );
      assert.strictEqual(instancesOf("o-1").length, 1, "exactly one instance");
      assert.ok(lines.includes("zeebe already has this event (same message id): nothing to do"), "the redelivery met Zeebe's refusal");
      assert.deepStrictEqual(instancesOf("o-1")[0].startMessage, "start:compensation-saga");
    } finally {
      await bus.close();
      redis.disconnect();
    }
  });

  it("the same trigger delivered again after Redis lost its data: one instance", async () => {
    const prefix = `start-${randomUUID().slice(0, 8)}`;
    const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 3 });
    redis.on("error", () => undefined);
    const bus = await bridge(prefix, c8.getZeebeGrpcApiClient(), redis);
    const trigger = { key: "o-2", value: { bpmnProcessId: "compensation-saga", variables: { sagaId: "o-2" } }, headers: { "event-id": "trigger-o-2" } };
    try {
      await bus.publish(topicNames(prefix).triggers, trigger);
      await eventually(() => instancesOf("o-2").length === 1, "the first start", 60_000);
      await eventually(async () => (await redis.get(`dedup:${prefix}:trigger-o-2`)) === "done", "the first mark");
      await redisServer.pause("SIGKILL");
      await redisServer.resume(); // empty
      await bus.publish(topicNames(prefix).triggers, trigger); // e.g. a producer retry, or a replay
      await eventually(async () => (await redis.get(`dedup:${prefix}:trigger-o-2`)) === "done", "the second delivery handled", 60_000);
      assert.strictEqual(instancesOf("o-2").length, 1, "exactly one instance");
      const message = peer.messages.find((m) => m.messageId === "trigger-o-2")!;
      assert.deepStrictEqual(
        { ...message, variables: undefined },
        {
          name: "start:compensation-saga",
          correlationKey: "trigger-o-2",
          timeToLive: 3_600_000,
          messageId: "trigger-o-2",
          variables: undefined,
        },
      );
    } finally {
      await bus.close();
      redis.disconnect();
    }
  });
});
