// Bench child process: the full worker (discovery, HTTP call, saga log, complete), started as main does
// (tracing included: on when the OTEL_* variables configure it).
import { startWorker } from "../src/app";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/logger";
import { startTelemetry } from "../src/telemetry";

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.LOG_LEVEL);
  const telemetry = startTelemetry(config, log);
  const worker = await startWorker(config, log);
  process.send!({ ready: true });
  process.on("message", async (m: { cmd: string }) => {
    if (m.cmd === "cpu") process.send!(process.cpuUsage());
    if (m.cmd === "stop") {
      await worker.stop(2000);
      await telemetry?.shutdown();
      process.exit(0);
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// The bench ended (or was aborted) without stopping this process: do not outlive it.
process.on("disconnect", () => process.exit(0));
