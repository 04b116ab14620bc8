// Event bus on Kafka (kafkajs): one producer with one request in flight, one consumer group per subscribe call.
import { Admin, Consumer, Kafka, logLevel, Partitioners, Producer, SASLOptions } from "kafkajs";
import type { EventBus, InboundEvent, OutboundEvent } from "./bus";
import { fromKafkaRecord, toKafkaMessage } from "./kafka-mapping";
import { withTimeout } from "./timeout";

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  ssl?: boolean;
  sasl?: { mechanism: "plain" | "scram-sha-256" | "scram-sha-512"; username: string; password: string };
  pingTimeoutMs?: number;
  /** kafkajs retries of a request before it fails (default 5, about 25 s against an unreachable cluster). */
  retries?: number;
  /** Receives kafkajs warnings and errors instead of its console logger. */
  onError?: (err: unknown, context: string) => void;
}

interface Connectable {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/** Connect once and share the result; forget a failed attempt so the next call retries. */
function lazily<T extends Connectable>(make: () => T, connected: Connectable[]): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= (async () => {
      const client = make();
      await client.connect();
      connected.push(client);
      return client;
    })().catch((err) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

export class KafkaBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly producer: () => Promise<Producer>;
  private readonly admin: () => Promise<Admin>;
  private readonly consumers: Consumer[] = [];
  /** Producer and admin once connected; never connected ones need no disconnect. */
  private readonly connected: Connectable[] = [];

  constructor(private readonly opts: KafkaOptions) {
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      ssl: opts.ssl ?? false,
      sasl: opts.sasl as SASLOptions | undefined,
      logLevel: logLevel.WARN,
      ...(opts.retries !== undefined && { retry: { retries: opts.retries } }),
      ...(opts.onError && {
        logCreator:
          () =>
          ({ namespace, log }) =>
            opts.onError!(new Error(log.message), `kafkajs ${namespace}`),
      }),
    });
    // One request in flight keeps per-key order across retries; acks from all in-sync replicas (send's default -1).
    // Not kafkajs' `idempotent` (experimental there): a send retried after a lost ack may be written twice, with the
    // same event-id header, which consumers de-duplicate on (delivery is at least once anyway, see EVENTS.md).
    // It also sends InitProducerId to the controller, which librdkafka's mock cluster (our CI broker) does not name.
    this.producer = lazily(() => this.kafka.producer({ maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner }), this.connected);
    this.admin = lazily(() => this.kafka.admin(), this.connected);
  }

  async publish(topic: string, event: OutboundEvent): Promise<void> {
    await (await this.producer()).send({ topic, messages: [toKafkaMessage(event)] });
  }

  async subscribe(topics: string[], group: string, handler: (event: InboundEvent) => Promise<void>): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: group });
    this.consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    // The offset is committed only after eachMessage resolved; a throw makes kafkajs deliver the record again.
    await consumer.run({ eachMessage: async ({ topic, partition, message }) => handler(fromKafkaRecord(topic, partition, message)) });
  }

  async ping(): Promise<void> {
    await withTimeout((async () => (await this.admin()).describeCluster())(), this.opts.pingTimeoutMs ?? 5_000, "kafka ping");
  }

  /** Per topic, the sum over partitions of the high watermark minus the group's committed offset (the low one when none). */
  async consumerLag(group: string, topics: string[]): Promise<Record<string, number>> {
    const admin = await this.admin();
    const committed = await admin.fetchOffsets({ groupId: group, topics });
    const out: Record<string, number> = {};
    for (const topic of topics) {
      const done = new Map((committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      let lag = 0;
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const at = done.get(p.partition) ?? -1;
        lag += Math.max(0, Number(p.high) - (at >= 0 ? at : Number(p.low)));
      }
      out[topic] = lag;
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.disconnect()));
    await Promise.all(this.connected.map((c) => c.disconnect()));
  }
}
