// Event streaming wiring (ENABLE_EVENT_STREAMING=true): the configured bus for step events,
// the publish-and-wait task type, and the inbound bridge (triggers, responses, errors) de-duplicated in Redis.
import Redis from "ioredis";
import type { Logger } from "pino";
import type { WorkerOverrides } from "./app";
import { backoffMs } from "./backoff";
import type { Config } from "./config";
import { PUBLISH_AND_WAIT } from "./contract";
import { createEventBus, topicNames } from "./events";
import { startEventBridge } from "./events/bridge";
import { createRedisDedup } from "./events/dedup";
import { processesStartedByMessage } from "./events/message-start";
import { handlePublishAndWait, PublishAndWaitError } from "./events/publish-and-wait";
import type { WorkerJob } from "./handlers/context";
import { errorText, redact } from "./redact";

export { PUBLISH_AND_WAIT };

export function streamingOverrides(config: Config, log: Logger): { overrides: WorkerOverrides; close(): Promise<void> } {
  const topics = topicNames(config.TOPICS_PREFIX);
  const bus = createEventBus({
    kind: config.EVENT_BUS,
    clientId: `camunda-orchestrator-worker-${config.TOPICS_PREFIX}`,
    brokers: config.KAFKA_BROKERS,
    ssl: config.KAFKA_SSL,
    sasl: config.KAFKA_SASL_MECHANISM
      ? { mechanism: config.KAFKA_SASL_MECHANISM, username: config.KAFKA_SASL_USERNAME ?? "", password: config.KAFKA_SASL_PASSWORD ?? "" }
      : undefined,
    redisUrl: config.REDIS_URL,
    onError: (err, context) => log.warn({ err: errorText(err), context }, "event bus error"),
  });
  // REDIS_URL is required with streaming (config validation): it holds the de-duplication marks.
  const redis = new Redis(config.REDIS_URL!, { lazyConnect: false, maxRetriesPerRequest: 3 });
  redis.on("error", (err) => log.warn({ err: errorText(err) }, "redis error"));

  const publishAndWait = async (job: WorkerJob): Promise<unknown> => {
    try {
      return job.complete(await handlePublishAndWait(job, bus, topics));
    } catch (err) {
      if (!(err instanceof PublishAndWaitError)) throw err;
      // A bus outage is retried with backoff; a wrong model or variables is an incident.
      const retries = err.retryable ? Math.max(0, job.retries - 1) : 0;
      const retryBackOff = retries > 0 ? backoffMs(1, config.BACKOFF_BASE_MS, config.BACKOFF_CAP_MS) : 0;
      return job.fail({ errorMessage: redact(err.message), retries, retryBackOff });
    }
  };

  return {
    overrides: {
      bus,
      extraHandlers: () => ({ [PUBLISH_AND_WAIT]: publishAndWait }),
      afterStart: (zeebe, models) =>
        startEventBridge({
          bus,
          zeebe,
          topics,
          log,
          dedup: createRedisDedup(redis, { ttlMs: config.DEDUP_TTL_MS }),
          messageStartProcesses: processesStartedByMessage(models),
          startMessageTtlMs: config.START_MESSAGE_TTL_MS,
        }),
      // Whatever the bus, the bridge cannot de-duplicate without this Redis: its outage is the worker's too.
      readinessChecks: { dedupRedis: async () => void (await redis.ping()) },
    },
    close: async () => {
      await bus.close();
      redis.disconnect();
    },
  };
}
