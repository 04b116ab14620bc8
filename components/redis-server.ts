// redis-server flags of the in-cluster Redis (pure, so tests run the real redis-server with exactly these).

/** Where the Redis container keeps its data; the PersistentVolumeClaim is mounted here when it persists. */
export const REDIS_DATA_DIR = "/data";

/**
 * Persistence flags. With the event bus on Redis Streams, Redis holds pending triggers: it keeps them in an
 * append-only file fsynced every second. Every acknowledged write is in the file before the client gets its reply,
 * so a crash or restart of the Redis process loses nothing; only a crash of the node itself can lose up to about
 * one second of writes. `appendfsync always` would close that gap at the cost of one fsync per write, which the
 * single dev-grade Redis pod cannot afford. RDB snapshots stay off (--save ""): the AOF is the copy, and no fork
 * doubles memory. Without the bus, Redis holds only de-duplication marks, which the bridge no longer relies on for
 * correctness (process starts and messages carry Zeebe message ids), so it keeps nothing.
 */
export function redisPersistenceFlags(persistent: boolean): string[] {
  return persistent
    ? ["--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--dir", REDIS_DATA_DIR]
    : ["--appendonly", "no", "--save", ""];
}

/** Container args; Kubernetes expands $(REDIS_PASSWORD) from the container's environment (from the Secret). */
export function redisServerArgs(persistent: boolean): string[] {
  return ["--requirepass", "$(REDIS_PASSWORD)", ...redisPersistenceFlags(persistent)];
}
