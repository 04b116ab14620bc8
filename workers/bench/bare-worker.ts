// Bench child process: a bare @camunda8/sdk worker making the same HTTP call and completing.
// No discovery, no saga log, no events: the baseline the full worker is compared with.
import { Camunda8 } from "@camunda8/sdk";

const env = process.env as Record<string, string>;
const zeebe = new Camunda8({
  ZEEBE_GRPC_ADDRESS: env.ZEEBE_GRPC_ADDRESS,
  CAMUNDA_AUTH_STRATEGY: "NONE",
  CAMUNDA_LOG_LEVEL: "error",
  // Same SDK settings as the full worker (src/zeebe.ts), so only the work per job differs.
  zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: "ERROR", ZEEBE_CLIENT_LOG_TYPE: "JSON", ZEEBE_GRPC_WORKER_POLL_INTERVAL_MS: Number(env.POLL_INTERVAL_MS) },
} as ConstructorParameters<typeof Camunda8>[0]).getZeebeGrpcApiClient();

// TASK_TYPE: one task type, or a comma list (the steps of the saga model).
for (const taskType of env.TASK_TYPE.split(",")) {
  zeebe.createWorker({
    taskType,
    maxJobsToActivate: Number(env.MAX_JOBS_ACTIVE),
    pollInterval: Number(env.POLL_INTERVAL_MS),
    timeout: 60000,
    taskHandler: async (job) => {
      const res = await fetch(`${env.SERVICE_URL}/api/process`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(job.variables),
        signal: AbortSignal.timeout(10000),
      });
      const body = (await res.json()) as Record<string, string>;
      return job.complete({ [job.elementId]: body });
    },
  });
}
process.send!({ ready: true });
process.on("message", async (m: { cmd: string }) => {
  if (m.cmd === "cpu") process.send!(process.cpuUsage());
  if (m.cmd === "stop") {
    await zeebe.close();
    process.exit(0);
  }
});

// The bench ended (or was aborted) without stopping this process: do not outlive it.
process.on("disconnect", () => process.exit(0));
