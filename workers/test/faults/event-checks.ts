// Event streaming for the scenarios that run with it: the worker's environment for Kafka (librdkafka's mock
// cluster) or Redis Streams, the test's own producer, and the check that every event the outbox holds reached
// the bus (by event id; a re-publish with the same id is allowed, an event missing or a step event written
// twice is not).
import { Kafka, logLevel } from "kafkajs";
import { Client } from "pg";
import { topicNames } from "../../src/events/bus";
import { KafkaBus } from "../../src/events/kafka-bus";
import type { EventBus } from "../../src/events/bus";

export function kafkaEnv(brokers: string[], redisUrl: string, prefix: string): Record<string, string> {
  return { ENABLE_EVENT_STREAMING: "true", EVENT_BUS: "kafka", KAFKA_BROKERS: brokers.join(","), REDIS_URL: redisUrl, TOPICS_PREFIX: prefix };
}

/** The test's producer on the mock cluster; creates the inbound topics (first produce) so the bridge can subscribe at once. */
export async function kafkaProducer(brokers: string[], prefix: string): Promise<EventBus> {
  const bus = new KafkaBus({ brokers, clientId: `fault-suite-${prefix}`, onError: () => undefined });
  const t = topicNames(prefix);
  // Invalid on purpose: the bridge dead-letters them (a dead letter of its own, not the outbox's).
  for (const topic of [t.triggers, t.responses, t.errors]) await bus.publish(topic, { key: "warm-up", value: {} });
  return bus;
}

/** Delivers the template's saga-confirmed message through the bus and the bridge (buffered until the instance waits). */
export function confirmThroughBus(bus: EventBus, prefix: string): (sagaId: string) => Promise<void> {
  return (sagaId) =>
    bus.publish(topicNames(prefix).responses, {
      key: sagaId,
      value: { messageName: "saga-confirmed", correlationKey: sagaId, timeToLiveMs: 600_000 },
      headers: { "event-id": `confirm-${sagaId}` },
    });
}

export interface OutboxDelivery {
  problems: string[];
  /** Outbox events, and records of them on the bus (more than the events: re-published after a crash or outage). */
  events: number;
  records: number;
}

interface OutboxRow {
  event_id: string;
  topic: string;
  payload: string;
}

/**
 * Waits until the outbox has published everything (or 90 s), then reads the topics from the beginning and
 * compares: every outbox event on the bus, nothing on the bus the outbox did not write, and per step one
 * step.completed / step.compensated event in the outbox at most.
 */
export async function checkOutboxDelivered(databaseUrl: string, brokers: string[], prefix: string): Promise<OutboxDelivery> {
  const problems: string[] = [];
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  let rows: OutboxRow[];
  try {
    const deadline = Date.now() + 90_000;
    while ((await db.query("select count(*)::int as n from event_outbox where published_at is null")).rows[0].n > 0) {
      if (Date.now() > deadline) {
        problems.push("the outbox still held unpublished events 90 s after the sagas ended");
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    rows = (await db.query<OutboxRow>("select event_id, topic, payload from event_outbox order by id")).rows;
  } finally {
    await db.end();
  }

  // One completion / one undo per step: the outbox writes these with the saga-log change, once.
  const perStep = new Map<string, number>();
  for (const r of rows) {
    const v = JSON.parse(r.payload) as { type?: string; processInstanceKey?: string; elementId?: string };
    if (v.type !== "step.completed" && v.type !== "step.compensated") continue;
    const k = `${v.type} ${v.processInstanceKey} ${v.elementId}`;
    perStep.set(k, (perStep.get(k) ?? 0) + 1);
  }
  for (const [k, n] of perStep) if (n > 1) problems.push(`${n} events ${k} in the outbox (one expected)`);

  const expected = new Map(rows.map((r) => [r.event_id, r.topic]));
  const topics = [...new Set(rows.map((r) => r.topic))];
  const seen = new Map<string, number>();
  if (topics.length > 0) {
    const kafka = new Kafka({ clientId: `fault-suite-check-${prefix}`, brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `fault-suite-check-${prefix}-${Date.now()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const id = message.headers?.["event-id"]?.toString() ?? "";
          seen.set(id, (seen.get(id) ?? 0) + 1);
        },
      });
      const deadline = Date.now() + 60_000;
      while ([...expected.keys()].some((id) => !seen.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    } finally {
      await consumer.disconnect();
    }
  }
  const missing = [...expected.keys()].filter((id) => !seen.has(id));
  if (missing.length > 0)
    problems.push(`${missing.length} of ${expected.size} outbox events never reached the bus (e.g. ${expected.get(missing[0])} ${missing[0]})`);
  return { problems, events: expected.size, records: [...seen.entries()].filter(([id]) => expected.has(id)).reduce((n, [, c]) => n + c, 0) };
}
