// Event bus factory and the events API the worker core wires up.
import type { EventBus } from "./bus";
import { KafkaBus, KafkaOptions } from "./kafka-bus";
import { RedisStreamsBus } from "./redis-streams-bus";

export type EventBusConfig = {
  kind: "kafka" | "redis-streams";
  clientId: string;
  brokers?: string[];
  ssl?: boolean;
  sasl?: KafkaOptions["sasl"];
  redisUrl?: string;
  onError?: (err: unknown, context: string) => void;
};

export function createEventBus(config: EventBusConfig): EventBus {
  if (config.kind === "kafka") {
    if (!config.brokers?.length) throw new Error("event bus kind kafka needs at least one broker");
    return new KafkaBus({ brokers: config.brokers, clientId: config.clientId, ssl: config.ssl, sasl: config.sasl, onError: config.onError });
  }
  if (config.kind === "redis-streams") {
    if (!config.redisUrl) throw new Error("event bus kind redis-streams needs redisUrl");
    return new RedisStreamsBus({ url: config.redisUrl, clientId: config.clientId, onError: config.onError });
  }
  throw new Error(`unknown event bus kind ${String((config as { kind: unknown }).kind)}: use kafka or redis-streams`);
}

export type { EventBus, InboundEvent, OutboundEvent, TopicNames } from "./bus";
export { topicNames } from "./bus";
export { EVENT_ID_HEADER } from "./event-id";
export { KafkaBus } from "./kafka-bus";
export { RedisStreamsBus } from "./redis-streams-bus";
export { createRedisDedup, dedupKey, EventInFlightError } from "./dedup";
export type { Dedup, RedisDedupOptions } from "./dedup";
export { startEventBridge, toZeebeAction, COMPENSATION_MESSAGE, DEFAULT_BRIDGE_GROUP, DEFAULT_MESSAGE_TTL_MS, DEFAULT_START_MESSAGE_TTL_MS } from "./bridge";
export { startMessageName } from "./start-message";
export { processesStartedByMessage } from "./message-start";
export type { BridgeZeebe, BridgeLog, EventBridgeOptions } from "./bridge";
export { handlePublishAndWait, PublishAndWaitError } from "./publish-and-wait";
export type { PublishAndWaitJob, PublishAndWaitResult } from "./publish-and-wait";
