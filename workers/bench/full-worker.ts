// Bench child process: the full worker (discovery, HTTP call, saga log, complete), started as main does.
import { startWorker } from "../src/app";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/logger";

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const worker = await startWorker(config, createLogger(config.LOG_LEVEL));
  process.send!({ ready: true });
  process.on("message", async (m: { cmd: string }) => {
    if (m.cmd === "cpu") process.send!(process.cpuUsage());
    if (m.cmd === "stop") {
      await worker.stop(2000);
      process.exit(0);
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
