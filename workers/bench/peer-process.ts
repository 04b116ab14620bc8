// Bench child process: the gateway peer. Loads N jobs on request and reports throughput and latency.
import { Completion, GatewayPeer } from "../test/support/gateway-peer";

interface RunMsg { cmd: "run"; type: string; jobs: number; variables: Record<string, unknown> }

async function main(): Promise<void> {
  const peer = await GatewayPeer.start();
  process.send!({ ready: true, address: peer.address });
  process.on("message", async (m: RunMsg | { cmd: "stop" }) => {
    if (m.cmd === "stop") {
      await peer.stop();
      process.exit(0);
    }
    const keys = new Set<string>();
    const done: Completion[] = [];
    const onComplete = (c: Completion) => {
      if (keys.has(c.jobKey)) done.push(c);
    };
    peer.on("complete", onComplete);
    const failuresBefore = peer.failures.length;
    for (let i = 0; i < m.jobs; i++) keys.add(peer.addJob({ type: m.type, processInstanceKey: String(6000000000000000 + Math.floor(Math.random() * 1e12)), elementId: "Step", variables: { ...m.variables, i } }));
    await peer.waitFor(() => done.length === m.jobs, 110000, `${m.jobs} completions`);
    peer.off("complete", onComplete);
    const first = Math.min(...done.map((c) => c.activatedAt));
    const last = Math.max(...done.map((c) => c.at));
    const lat = done.map((c) => c.at - c.activatedAt).sort((a, b) => a - b);
    const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
    process.send!({ jobs: m.jobs, seconds: (last - first) / 1000, jobsPerSec: m.jobs / ((last - first) / 1000), p50: pct(50), p99: pct(99), failures: peer.failures.length - failuresBefore });
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// The bench ended (or was aborted) without stopping this process: do not outlive it.
process.on("disconnect", () => process.exit(0));
