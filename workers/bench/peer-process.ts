// Bench child process: the gateway peer (executing mode). "run" loads N scripted jobs and reports
// throughput and latency per job; "saga" starts N instances of a deployed model and reports
// create -> completed latency per instance and instances per second.
import * as fs from "fs";
import type { ProcessInstance } from "../test/support/executing-engine";
import { Completion, GatewayPeer } from "../test/support/gateway-peer";

interface RunMsg {
  cmd: "run";
  type: string;
  jobs: number;
  variables: Record<string, unknown>;
}
interface SagaMsg {
  cmd: "saga";
  modelFile: string;
  bpmnProcessId: string;
  instances: number;
  concurrency: number;
  variables: Record<string, unknown>;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Closed loop: keeps `concurrency` instances in flight until `instances` have ended. */
async function saga(peer: GatewayPeer, m: SagaMsg) {
  const engine = peer.engine!;
  await engine.deploy(m.modelFile.split("/").pop()!, fs.readFileSync(m.modelFile, "utf8"));
  const started = new Map<string, number>();
  const ended: { latency: number; at: number; ok: boolean }[] = [];
  let created = 0;
  const startOne = () => {
    const t = Date.now();
    const i = engine.createInstance({ bpmnProcessId: m.bpmnProcessId, variables: { ...m.variables, n: created++ } });
    started.set(i.key, t);
  };
  const onChange = (i: ProcessInstance) => {
    const t0 = started.get(i.key);
    if (t0 === undefined || i.state === "ACTIVE") return;
    started.delete(i.key);
    ended.push({ latency: Date.now() - t0, at: Date.now(), ok: i.state === "COMPLETED" && i.compensations.length === 0 });
    if (created < m.instances) setImmediate(startOne);
  };
  engine.on("changed", onChange);
  const cpu0 = process.cpuUsage();
  const first = Date.now();
  for (let n = 0; n < Math.min(m.concurrency, m.instances); n++) startOne();
  await peer.waitFor(() => ended.length === m.instances, 110000, `${m.instances} completed instances`);
  engine.off("changed", onChange);
  const cpu = process.cpuUsage(cpu0);
  const lat = ended.map((e) => e.latency).sort((a, b) => a - b);
  const seconds = (Math.max(...ended.map((e) => e.at)) - first) / 1000;
  return {
    instances: m.instances,
    seconds,
    perSec: m.instances / seconds,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    failures: ended.filter((e) => !e.ok).length,
    peerCpuMsPerInstance: (cpu.user + cpu.system) / 1000 / m.instances,
  };
}

async function main(): Promise<void> {
  const peer = await GatewayPeer.start({ execute: true });
  process.send!({ ready: true, address: peer.address });
  process.on("message", async (m: RunMsg | SagaMsg | { cmd: "stop" }) => {
    if (m.cmd === "stop") {
      await peer.stop();
      process.exit(0);
    }
    if (m.cmd === "saga") {
      process.send!(await saga(peer, m));
      return;
    }
    const keys = new Set<string>();
    const done: Completion[] = [];
    const onComplete = (c: Completion) => {
      if (keys.has(c.jobKey)) done.push(c);
    };
    peer.on("complete", onComplete);
    const failuresBefore = peer.failures.length;
    for (let i = 0; i < m.jobs; i++)
      keys.add(
        peer.addJob({
          type: m.type,
          processInstanceKey: String(6000000000000000 + Math.floor(Math.random() * 1e12)),
          elementId: "Step",
          variables: { ...m.variables, i },
        }),
      );
    await peer.waitFor(() => done.length === m.jobs, 110000, `${m.jobs} completions`);
    peer.off("complete", onComplete);
    const first = Math.min(...done.map((c) => c.activatedAt));
    const last = Math.max(...done.map((c) => c.at));
    const lat = done.map((c) => c.at - c.activatedAt).sort((a, b) => a - b);
    const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
    process.send!({
      jobs: m.jobs,
      seconds: (last - first) / 1000,
      jobsPerSec: m.jobs / ((last - first) / 1000),
      p50: pct(50),
      p99: pct(99),
      failures: peer.failures.length - failuresBefore,
    });
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// The bench ended (or was aborted) without stopping this process: do not outlive it.
process.on("disconnect", () => process.exit(0));
