// Process entry point: validate configuration, start, and shut down gracefully on SIGTERM/SIGINT.
import { RunningWorker, startWorker } from "./app";
import { ConfigError, loadConfig } from "./config";
import { createLogger } from "./logger";
import { errorText, redact } from "./redact";
import { streamingOverrides } from "./streaming";
import { startTelemetry } from "./telemetry";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  let worker: RunningWorker | undefined;
  // Every promise is meant to be handled where it is made; one that is not is a bug. Log and count
  // it rather than let Node end the process (and every job in flight) over it.
  process.on("unhandledRejection", (reason) => {
    worker?.metrics.unhandledRejections.inc();
    log.error({ err: errorText(reason) }, "unhandled promise rejection (a bug: please report it)");
  });

  // Before anything else runs, so the first job is traced.
  const telemetry = startTelemetry(config, log);
  const streaming = config.ENABLE_EVENT_STREAMING ? streamingOverrides(config, log) : undefined;
  try {
    // A retired revision stops consuming inbound events too; its pod stays up (idle) until Knative removes it.
    worker = await startWorker(config, log, { ...streaming?.overrides, afterRetire: streaming ? () => streaming.close() : undefined });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  log.info({ port: worker.port, types: worker.jobWorkers.types() }, "worker started");

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal, drainMs: config.SHUTDOWN_DRAIN_MS }, "shutting down: activation stopped, draining jobs");
    const abandoned = await worker!.stop();
    await streaming?.close().catch(() => undefined);
    await telemetry?.shutdown();
    log.info({ abandoned }, "shutdown complete");
    process.exit(0);
  };
  const onSignal = (signal: string) =>
    shutdown(signal).catch((err) => {
      log.error({ err: errorText(err) }, "shutdown failed");
      process.exit(1);
    });
  process.on("SIGTERM", () => void onSignal("SIGTERM"));
  process.on("SIGINT", () => void onSignal("SIGINT"));
}

main().catch((err) => {
  process.stderr.write(`worker failed to start: ${redact(String((err as Error)?.stack ?? err))}\n`);
  process.exit(1);
});
