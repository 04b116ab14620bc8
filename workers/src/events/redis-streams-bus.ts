// Event bus on Redis Streams: one stream per topic, consumer groups, ack after the handler succeeded,
// and re-claim of entries left pending (handler failure or a crashed consumer) so they are redelivered.
import { randomUUID } from "node:crypto";
import Redis from "ioredis";
import type { EventBus, InboundEvent, OutboundEvent } from "./bus";
import { fromStreamEntry, toStreamFields } from "./redis-streams-mapping";
import { withTimeout } from "./timeout";

export interface RedisStreamsOptions {
  url: string;
  clientId: string;
  /** How long an entry stays pending before it is re-claimed and handed out again. */
  claimIdleMs?: number;
  /** Longest wait of one blocking read; also bounds how quickly stale entries are re-claimed. */
  blockMs?: number;
  batchSize?: number;
  /** Approximate cap on each stream's length (XADD MAXLEN ~). */
  maxLen?: number;
  pingTimeoutMs?: number;
  onError?: (err: unknown, context: string) => void;
}

type Entry = [topic: string, id: string, fields: string[]];

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RedisStreamsBus implements EventBus {
  private readonly redis: Redis;
  private readonly readers: Redis[] = [];
  private readonly loops: Promise<void>[] = [];
  private closed = false;
  private readonly claimIdleMs: number;
  private readonly blockMs: number;
  private readonly batchSize: number;

  constructor(private readonly opts: RedisStreamsOptions) {
    this.claimIdleMs = opts.claimIdleMs ?? 30_000;
    this.blockMs = opts.blockMs ?? 2_000;
    this.batchSize = opts.batchSize ?? 32;
    this.redis = this.connect();
  }

  async publish(topic: string, event: OutboundEvent): Promise<void> {
    await this.redis.xadd(topic, "MAXLEN", "~", String(this.opts.maxLen ?? 100_000), "*", ...toStreamFields(event));
  }

  async subscribe(topics: string[], group: string, handler: (event: InboundEvent) => Promise<void>): Promise<void> {
    await this.ensureGroups(topics, group);
    const reader = this.connect(); // blocking reads need a connection of their own
    this.readers.push(reader);
    const consumer = `${this.opts.clientId}-${randomUUID().slice(0, 8)}`;
    this.loops.push(this.consume(reader, topics, group, consumer, handler));
  }

  /** XINFO GROUPS: `lag` (undelivered; Redis 7.0 and later, unknown after some deletions) plus `pending` (unacknowledged). */
  async consumerLag(group: string, topics: string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const topic of topics) {
      const groups = (await this.redis.xinfo("GROUPS", topic).catch((err: unknown) => {
        if (errorText(err).includes("no such key")) return [];
        throw err;
      })) as unknown[][];
      for (const fields of groups) {
        const info = new Map<string, unknown>();
        for (let i = 0; i + 1 < fields.length; i += 2) info.set(String(fields[i]), fields[i + 1]);
        if (info.get("name") !== group) continue;
        const lag = info.get("lag");
        const pending = info.get("pending");
        if (typeof lag === "number" && typeof pending === "number") out[topic] = lag + pending;
      }
    }
    return out;
  }

  async ping(): Promise<void> {
    await withTimeout(this.redis.ping(), this.opts.pingTimeoutMs ?? 2_000, "redis ping");
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.readers) r.disconnect(); // interrupts a blocking XREADGROUP
    await Promise.all(this.loops);
    this.redis.disconnect();
  }

  private connect(): Redis {
    const r = new Redis(this.opts.url, { maxRetriesPerRequest: 3 });
    r.on("error", (err) => this.opts.onError?.(err, "redis connection"));
    return r;
  }

  private async ensureGroups(topics: string[], group: string): Promise<void> {
    for (const topic of topics) {
      // "0": a new group reads what the stream already holds, like a Kafka group starting from the beginning.
      await this.redis.xgroup("CREATE", topic, group, "0", "MKSTREAM").catch((err: unknown) => {
        if (!errorText(err).includes("BUSYGROUP")) throw err;
      });
    }
  }

  private async consume(reader: Redis, topics: string[], group: string, consumer: string, handler: (e: InboundEvent) => Promise<void>): Promise<void> {
    while (!this.closed) {
      try {
        const entries = [...(await this.claimStale(reader, topics, group, consumer)), ...(await this.readNew(reader, topics, group, consumer))];
        for (const [topic, id, fields] of entries) {
          if (this.closed) break; // unacked entries stay pending for the next consumer
          try {
            await handler(fromStreamEntry(topic, id, fields));
            await reader.xack(topic, group, id);
          } catch (err) {
            this.opts.onError?.(err, `handling ${topic} ${id} (left pending for redelivery)`);
          }
        }
      } catch (err) {
        if (this.closed) break;
        this.opts.onError?.(err, "reading streams");
        // A restarted Redis without persistence has lost the groups: create them again.
        if (errorText(err).includes("NOGROUP")) await this.ensureGroups(topics, group).catch(() => undefined);
        await sleep(Math.min(this.blockMs, 500));
      }
    }
  }

  private async claimStale(reader: Redis, topics: string[], group: string, consumer: string): Promise<Entry[]> {
    const out: Entry[] = [];
    for (const topic of topics) {
      const [, entries] = (await reader.xautoclaim(topic, group, consumer, this.claimIdleMs, "0-0", "COUNT", this.batchSize)) as [
        string,
        ([string, string[]] | null)[],
      ];
      for (const e of entries) if (e) out.push([topic, e[0], e[1]]);
    }
    return out;
  }

  private async readNew(reader: Redis, topics: string[], group: string, consumer: string): Promise<Entry[]> {
    const res = (await reader.xreadgroup(
      "GROUP",
      group,
      consumer,
      "COUNT",
      this.batchSize,
      "BLOCK",
      this.blockMs,
      "STREAMS",
      ...topics,
      ...topics.map(() => ">"),
    )) as [string, [string, string[]][]][] | null;
    return (res ?? []).flatMap(([topic, entries]) => entries.map(([id, fields]): Entry => [topic, id, fields]));
  }
}
