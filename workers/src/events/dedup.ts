// De-duplication of consumed events in Redis with a TTL.
// A mark goes through two states: "processing" with a short lease while the handler runs, then
// "done" for the TTL. A duplicate that finds "done" is skipped; one that finds "processing" is
// refused (thrown) so the bus keeps it and redelivers it later: if the first attempt's process
// crashed, its lease expires and the redelivery is handled instead of being lost.
import type Redis from "ioredis";

export interface Dedup {
  /** Runs `fn` unless this event was already handled for this group; resolves true when it ran. */
  once(group: string, eventId: string, fn: () => Promise<void>): Promise<boolean>;
}

export class EventInFlightError extends Error {
  constructor(readonly key: string) {
    super(`event ${key} is being handled by another delivery; retry later`);
    this.name = "EventInFlightError";
  }
}

export interface RedisDedupOptions {
  /** How long a handled event is remembered. */
  ttlMs: number;
  /** Longest time a handler may hold the mark before another delivery may take over. */
  leaseMs?: number;
}

export const dedupKey = (group: string, eventId: string): string => `dedup:${group}:${eventId}`;

export function createRedisDedup(redis: Redis, opts: RedisDedupOptions): Dedup {
  const leaseMs = opts.leaseMs ?? 60_000;
  return {
    async once(group, eventId, fn) {
      const key = dedupKey(group, eventId);
      if ((await redis.set(key, "processing", "PX", leaseMs, "NX")) !== "OK") {
        if ((await redis.get(key)) === "done") return false;
        throw new EventInFlightError(key); // "processing", or expired just now: redeliver later
      }
      try {
        await fn();
      } catch (err) {
        await redis.del(key); // let the redelivery be processed
        throw err;
      }
      await redis.set(key, "done", "PX", opts.ttlMs);
      return true;
    },
  };
}
