// Benchmark: jobs/s through the full worker path vs a bare @camunda8/sdk worker doing the same
// HTTP call, both fed by the same gateway peer and HTTP service, each in its own process; the full worker
// with tracing off (no OTEL_* variables: what it costs to have tracing built in) and on (exporting every
// span over OTLP/HTTP to a receiver process); then whole three-step saga instances (create -> completed)
// executed by the peer, full worker vs bare worker.
// Prints tables, then (last line) one JSON object with the figures; progress goes to stderr as it runs.
import { ChildProcess, fork } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { freshDatabase, removeWorkflowsDirs, tempDir, workflowsDir } from "../test/support/harness";
import { startPostgres } from "../test/support/servers";
import { treeCpuMs } from "./proc-cpu";
import { tracingOffPathNsPerJob } from "./tracing-off-path";

const ROOT = path.resolve(__dirname, "..", "..");
const JOBS = Number(process.env.BENCH_JOBS ?? 3000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TUNING = { MAX_JOBS_ACTIVE: process.env.BENCH_MAX_JOBS ?? "64", POLL_INTERVAL_MS: process.env.BENCH_POLL_MS ?? "10" };
const TYPE = "call-microservice-bench";
const SAGAS = Number(process.env.BENCH_SAGAS ?? 100);
const SAGA_WARMUP = Number(process.env.BENCH_SAGA_WARMUP ?? 20);
const SAGA_ROUNDS = Number(process.env.BENCH_SAGA_ROUNDS ?? 1);
const SAGA_CONCURRENCY = Number(process.env.BENCH_SAGA_CONCURRENCY ?? 4);
// The seed example with three steps and no wait for an outside message: fraud check, authorization, settlement.
const SAGA_MODEL = path.join(__dirname, "..", "workflows", "examples", "financial-transaction.bpmn");
const SAGA_PROCESS = "financial-transaction";
const SAGA_SERVICES = ["fraud-detection", "authorization", "settlement"];

interface Result {
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  p50: number;
  p99: number;
  failures: number;
  cpuMsPerJob: number;
  pgCpuMsPerJob: number;
}
interface SagaResult {
  instances: number;
  seconds: number;
  perSec: number;
  p50: number;
  p99: number;
  failures: number;
  peerCpuMsPerInstance: number;
}

function child(file: string, env: Record<string, string> = {}): Promise<{ proc: ChildProcess; hello: any }> {
  const proc = fork(path.join(__dirname, file), [], {
    cwd: ROOT,
    execArgv: ["-r", "ts-node/register/transpile-only"],
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"), ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    proc.once("message", (hello) => resolve({ proc, hello }));
    proc.once("exit", (code) => reject(new Error(`${file} exited with ${code} before it was ready`)));
  });
}

function ask<T>(proc: ChildProcess, msg: unknown): Promise<T> {
  return new Promise((resolve) => {
    proc.once("message", (m) => resolve(m as T));
    proc.send(msg as object);
  });
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  proc.send({ cmd: "stop" });
  const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(t);
}

/** Throughput and latency from the peer; CPU time of the worker process itself (user + system) per job. */
async function measure(peer: ChildProcess, worker: ChildProcess, pgPid: number): Promise<Result> {
  await ask<Result>(peer, { cmd: "run", type: TYPE, jobs: WARMUP, variables: { orderId: "warm" } });
  const cpu0 = await ask<NodeJS.CpuUsage>(worker, { cmd: "cpu" });
  const pg0 = treeCpuMs(pgPid);
  const r = await ask<Omit<Result, "cpuMsPerJob" | "pgCpuMsPerJob">>(peer, {
    cmd: "run",
    type: TYPE,
    jobs: JOBS,
    variables: { orderId: "o-1", amount: 42, items: ["a", "b", "c"] },
  });
  const cpu1 = await ask<NodeJS.CpuUsage>(worker, { cmd: "cpu" });
  const pg1 = treeCpuMs(pgPid);
  return { ...r, cpuMsPerJob: (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1000 / JOBS, pgCpuMsPerJob: (pg1 - pg0) / JOBS };
}

/** Saga instances created -> completed through the peer: warm-up, then the measured batch. */
async function measureSaga(peer: ChildProcess): Promise<SagaResult> {
  const msg = {
    cmd: "saga",
    modelFile: SAGA_MODEL,
    bpmnProcessId: SAGA_PROCESS,
    concurrency: SAGA_CONCURRENCY,
    variables: { transactionId: "t-1", amount: 42 },
  };
  await ask<SagaResult>(peer, { ...msg, instances: SAGA_WARMUP });
  return ask<SagaResult>(peer, { ...msg, instances: SAGAS });
}

function sagaWorkflowsDir(): string {
  const dir = tempDir("bench-saga-");
  fs.copyFileSync(SAGA_MODEL, path.join(dir, path.basename(SAGA_MODEL)));
  return dir;
}

const benchStarted = Date.now();
/** A progress line on stderr, so that a run of a minute or more shows what it is doing; stdout stays the result. */
function progress(message: string): void {
  process.stderr.write(`bench [${String(Math.round((Date.now() - benchStarted) / 1000)).padStart(3)} s] ${message}\n`);
}

async function main(): Promise<void> {
  const started = Date.now();
  // Self-limit: never run longer than seven minutes.
  setTimeout(() => {
    console.error("bench exceeded 420 s; aborting");
    process.exit(1);
  }, 420000).unref();

  progress(`${ROUNDS} rounds of ${JOBS} jobs (warm-up ${WARMUP}) per worker; starting PostgreSQL, the gateway peer and the service`);
  const pg = await startPostgres();
  const peer = await child("peer-process.ts");
  const service = await child("service-process.ts");
  const receiver = await child("otlp-receiver-process.ts");
  const results: { bare: Result[]; full: Result[]; traced: Result[] } = { bare: [], full: [], traced: [] };
  let spansPerTracedJob = 0;
  const sagas: { bare: SagaResult[]; full: SagaResult[] } = { bare: [], full: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      progress(`round ${round + 1}/${ROUNDS}: bare SDK worker`);
      const bare = await child("bare-worker.ts", { ZEEBE_GRPC_ADDRESS: peer.hello.address, SERVICE_URL: service.hello.url, TASK_TYPE: TYPE, ...TUNING });
      results.bare.push(await measure(peer.proc, bare.proc, pg.pid()!));
      progress(`round ${round + 1}/${ROUNDS}: bare SDK worker ${results.bare[round].jobsPerSec.toFixed(0)} jobs/s`);
      await stop(bare.proc);

      const fullEnv = async (db: string) => ({
        ZEEBE_GRPC_ADDRESS: peer.hello.address,
        CAMUNDA_AUTH_STRATEGY: "NONE",
        DATABASE_URL: await freshDatabase(pg.url, db),
        DISCOVERY_STATIC_SERVICES: JSON.stringify({ bench: service.hello.url }),
        WORKFLOWS_DIR: workflowsDir([TYPE]),
        PORT: "0",
        LOG_LEVEL: "warn",
        ...TUNING,
      });
      progress(`round ${round + 1}/${ROUNDS}: full worker, tracing off`);
      const full = await child("full-worker.ts", await fullEnv(`bench${round}`));
      results.full.push(await measure(peer.proc, full.proc, pg.pid()!));
      progress(`round ${round + 1}/${ROUNDS}: full worker, tracing off ${results.full[round].jobsPerSec.toFixed(0)} jobs/s`);
      await stop(full.proc);

      progress(`round ${round + 1}/${ROUNDS}: full worker, tracing on`);
      const spansBefore = (await ask<{ spans: number }>(receiver.proc, { cmd: "spans" })).spans;
      const traced = await child("full-worker.ts", {
        ...(await fullEnv(`benchtraced${round}`)),
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.hello.url,
        OTEL_SERVICE_NAME: "bench-worker",
      });
      results.traced.push(await measure(peer.proc, traced.proc, pg.pid()!));
      await stop(traced.proc); // flushes the spans still buffered
      spansPerTracedJob = ((await ask<{ spans: number }>(receiver.proc, { cmd: "spans" })).spans - spansBefore) / (JOBS + WARMUP);
      progress(
        `round ${round + 1}/${ROUNDS}: full worker, tracing on ${results.traced[round].jobsPerSec.toFixed(0)} jobs/s, ${spansPerTracedJob.toFixed(2)} spans exported per job`,
      );
    }
    for (let round = 0; round < SAGA_ROUNDS; round++) {
      progress(`saga round ${round + 1}/${SAGA_ROUNDS}: bare SDK worker`);
      const bare = await child("bare-worker.ts", {
        ZEEBE_GRPC_ADDRESS: peer.hello.address,
        SERVICE_URL: service.hello.url,
        TASK_TYPE: SAGA_SERVICES.map((s) => `call-microservice-${s}`).join(","),
        ...TUNING,
      });
      sagas.bare.push(await measureSaga(peer.proc));
      await stop(bare.proc);
      progress(`saga round ${round + 1}/${SAGA_ROUNDS}: full worker`);

      const full = await child("full-worker.ts", {
        ZEEBE_GRPC_ADDRESS: peer.hello.address,
        CAMUNDA_AUTH_STRATEGY: "NONE",
        DATABASE_URL: await freshDatabase(pg.url, `benchsaga${round}`),
        DISCOVERY_STATIC_SERVICES: JSON.stringify(Object.fromEntries(SAGA_SERVICES.map((s) => [s, service.hello.url]))),
        WORKFLOWS_DIR: sagaWorkflowsDir(),
        PORT: "0",
        LOG_LEVEL: "warn",
        ...TUNING,
      });
      sagas.full.push(await measureSaga(peer.proc));
      await stop(full.proc);
    }
  } finally {
    await stop(peer.proc);
    await stop(service.proc);
    await stop(receiver.proc);
    await pg.stop();
    removeWorkflowsDirs();
  }

  // The median round by throughput for each mode (the lower middle one for an even count: conservative).
  const median = (rs: Result[]) => [...rs].sort((a, b) => a.jobsPerSec - b.jobsPerSec)[Math.floor((rs.length - 1) / 2)];
  const bare = median(results.bare);
  const full = median(results.full);
  const traced = median(results.traced);
  const offPathNs = tracingOffPathNsPerJob();
  const row = (name: string, r: Result) =>
    `${name.padEnd(6)} | ${r.jobsPerSec.toFixed(0).padStart(8)} | ${String(r.p50).padStart(7)} | ${String(r.p99).padStart(7)} | ${r.cpuMsPerJob.toFixed(3).padStart(10)} | ${r.pgCpuMsPerJob.toFixed(3).padStart(9)} | ${String(r.failures).padStart(8)}`;
  console.log(
    `jobs per round: ${JOBS} (warm-up ${WARMUP}), rounds: ${ROUNDS}, maxJobsToActivate ${TUNING.MAX_JOBS_ACTIVE}, pollInterval ${TUNING.POLL_INTERVAL_MS} ms`,
  );
  console.log("worker |   jobs/s | p50 ms  | p99 ms  | cpu ms/job | pg ms/job | failures");
  console.log("-------+----------+---------+---------+------------+-----------+---------");
  for (const r of results.bare) console.log(row("bare", r));
  for (const r of results.full) console.log(row("full", r));
  for (const r of results.traced) console.log(row("traced", r));
  const sagaMedian = (rs: SagaResult[]) => [...rs].sort((a, b) => a.perSec - b.perSec)[Math.floor((rs.length - 1) / 2)];
  const sagaBare = sagaMedian(sagas.bare);
  const sagaFull = sagaMedian(sagas.full);
  const sagaRow = (name: string, r: SagaResult) =>
    `${name.padEnd(6)} | ${r.perSec.toFixed(1).padStart(11)} | ${String(r.p50).padStart(7)} | ${String(r.p99).padStart(7)} | ${r.peerCpuMsPerInstance.toFixed(1).padStart(13)} | ${String(r.failures).padStart(8)}`;
  console.log(
    `\nthree-step saga (${SAGA_PROCESS}), create -> completed: ${SAGAS} instances per round (warm-up ${SAGA_WARMUP}), ${SAGA_CONCURRENCY} in flight, rounds: ${SAGA_ROUNDS}`,
  );
  console.log("worker | instances/s | p50 ms  | p99 ms  | peer cpu ms/i | failures");
  console.log("-------+-------------+---------+---------+---------------+---------");
  for (const r of sagas.bare) console.log(sagaRow("bare", r));
  for (const r of sagas.full) console.log(sagaRow("full", r));
  const summary = {
    fullJobsPerSec: Math.round(full.jobsPerSec),
    bareJobsPerSec: Math.round(bare.jobsPerSec),
    ratio: Number((full.jobsPerSec / bare.jobsPerSec).toFixed(3)),
    p50AddedMs: full.p50 - bare.p50,
    p99AddedMs: full.p99 - bare.p99,
    fullP50Ms: full.p50,
    fullP99Ms: full.p99,
    bareP50Ms: bare.p50,
    bareP99Ms: bare.p99,
    // CPU per job of the worker process, and of PostgreSQL (the saga log's cost on the server side).
    fullCpuMsPerJob: Number(full.cpuMsPerJob.toFixed(3)),
    bareCpuMsPerJob: Number(bare.cpuMsPerJob.toFixed(3)),
    fullPgCpuMsPerJob: Number(full.pgCpuMsPerJob.toFixed(3)),
    // Tracing: off is the full worker above (no OTEL_* variables); on exports every span to an OTLP/HTTP receiver.
    tracedJobsPerSec: Math.round(traced.jobsPerSec),
    tracedOverFullRatio: Number((traced.jobsPerSec / full.jobsPerSec).toFixed(3)),
    tracedCpuMsPerJob: Number(traced.cpuMsPerJob.toFixed(3)),
    tracedP50Ms: traced.p50,
    tracedP99Ms: traced.p99,
    spansPerTracedJob: Number(spansPerTracedJob.toFixed(2)),
    // Tracing off: the per-job calls on that path, timed in this process, as a share of the full worker's CPU per job.
    tracingOffNsPerJob: Number(offPathNs.toFixed(1)),
    tracingOffShareOfJobCpu: Number((offPathNs / (full.cpuMsPerJob * 1e6)).toExponential(2)),
    cpuRatio: Number((bare.cpuMsPerJob / (full.cpuMsPerJob + full.pgCpuMsPerJob)).toFixed(3)),
    jobs: JOBS,
    rounds: ROUNDS,
    maxJobsToActivate: Number(TUNING.MAX_JOBS_ACTIVE),
    pollIntervalMs: Number(TUNING.POLL_INTERVAL_MS),
    sagaFullPerSec: Number(sagaFull.perSec.toFixed(1)),
    sagaBarePerSec: Number(sagaBare.perSec.toFixed(1)),
    sagaRatio: Number((sagaFull.perSec / sagaBare.perSec).toFixed(3)),
    sagaFullP50Ms: sagaFull.p50,
    sagaFullP99Ms: sagaFull.p99,
    sagaBareP50Ms: sagaBare.p50,
    sagaBareP99Ms: sagaBare.p99,
    sagaP50Ratio: Number((sagaFull.p50 / Math.max(1, sagaBare.p50)).toFixed(3)),
    sagaP99Ratio: Number((sagaFull.p99 / Math.max(1, sagaBare.p99)).toFixed(3)),
    sagaFailures: sagaFull.failures + sagaBare.failures,
    // CPU the executing peer (bpmn-engine) spends per instance: it bounds what the saga figures can show.
    sagaPeerCpuMsPerInstance: Number(sagaFull.peerCpuMsPerInstance.toFixed(1)),
    sagas: SAGAS,
    sagaConcurrency: SAGA_CONCURRENCY,
    elapsedSeconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(JSON.stringify(summary));
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
