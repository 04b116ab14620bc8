// Event streaming wiring: the configured bus for step events. (Inbound bridge and
// publish-and-wait are added here once the events module provides them.)
import type { Logger } from "pino";
import type { WorkerOverrides } from "./app";
import type { Config } from "./config";
import { createEventBus } from "./events";

export function streamingOverrides(config: Config, log: Logger): { overrides: WorkerOverrides; close(): Promise<void> } {
  const bus = createEventBus({
    kind: config.EVENT_BUS,
    clientId: `camunda-orchestrator-worker-${config.TOPICS_PREFIX}`,
    brokers: config.KAFKA_BROKERS,
    ssl: config.KAFKA_SSL,
    sasl: config.KAFKA_SASL_MECHANISM ? { mechanism: config.KAFKA_SASL_MECHANISM, username: config.KAFKA_SASL_USERNAME ?? "", password: config.KAFKA_SASL_PASSWORD ?? "" } : undefined,
    redisUrl: config.REDIS_URL,
    onError: (err, context) => log.warn({ err: String(err), context }, "event bus error"),
  });
  return { overrides: { bus }, close: () => bus.close() };
}
