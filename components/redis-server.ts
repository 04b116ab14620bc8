// redis-server flags of the in-cluster Redis (pure, so tests run the real redis-server with exactly these).

/** Where the Redis container keeps its data; the PersistentVolumeClaim is mounted here when it persists. */
export const REDIS_DATA_DIR = "/data";

/**
 * Persistence flags. With the event bus on Redis Streams, Redis holds the pending triggers: it keeps them in an
 * append-only file fsynced every second (`appendfsync everysec`, Redis' default). Per redis.conf (7.x) that loses at
 * most the write in flight when the Redis process dies while the node runs on (a pod killed or restarted; the test
 * kills redis-server with SIGKILL and finds every pending entry), and about one second of writes when the node
 * itself fails. `appendfsync always` would close that second at the cost of one fsync per XADD, XACK and XCLAIM on
 * the one Redis pod every trigger passes through. RDB snapshots stay off (--save ""): the AOF is the copy.
 * Without the bus, Redis holds only de-duplication marks, which the bridge no longer relies on for correctness
 * (process starts and messages carry Zeebe message ids), so it keeps nothing.
 */
export function redisPersistenceFlags(persistent: boolean): string[] {
  return persistent ? ["--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--dir", REDIS_DATA_DIR] : ["--appendonly", "no", "--save", ""];
}

/** Container args; Kubernetes expands $(REDIS_PASSWORD) from the container's environment (from the Secret). */
export function redisServerArgs(persistent: boolean): string[] {
  return ["--requirepass", "$(REDIS_PASSWORD)", ...redisPersistenceFlags(persistent)];
}
