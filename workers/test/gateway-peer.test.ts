import * as assert from "assert";
import { Camunda8 } from "@camunda8/sdk";
import { GatewayPeer } from "./support/gateway-peer";

describe("gateway peer with the real @camunda8/sdk client", () => {
  let peer: GatewayPeer;
  let c8: Camunda8;
  before(async () => {
    peer = await GatewayPeer.start();
    c8 = new Camunda8({
      ZEEBE_GRPC_ADDRESS: peer.address,
      CAMUNDA_AUTH_STRATEGY: "NONE",
      CAMUNDA_LOG_LEVEL: "none",
      zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: "NONE" },
    } as any);
  });
  after(async () => {
    await c8.getZeebeGrpcApiClient().close();
    await peer.stop();
  });

  it("serves topology, deploys, starts processes, publishes messages", async () => {
    const zb = c8.getZeebeGrpcApiClient();
    const topo = await zb.topology();
    assert.strictEqual(topo.brokers.length, 1);
    await zb.deployResource({ name: "p.bpmn", process: Buffer.from('<bpmn:process id="p1" isExecutable="true"/>') });
    assert.strictEqual(peer.deployments[0].name, "p.bpmn");
    const pi = await zb.createProcessInstance({ bpmnProcessId: "p1", variables: { a: 1 } });
    assert.strictEqual(peer.processStarts[0].bpmnProcessId, "p1");
    assert.deepStrictEqual(peer.processStarts[0].variables, { a: 1 });
    assert.strictEqual(pi.processInstanceKey, peer.processStarts[0].processInstanceKey);
    await zb.publishMessage({ name: "m", correlationKey: "k", timeToLive: 5000, messageId: "id1", variables: { x: true } });
    assert.deepStrictEqual(peer.messages[0], { name: "m", correlationKey: "k", timeToLive: 5000, messageId: "id1", variables: { x: true } });
  });

  it("hands out jobs long-polled and records complete, fail (redelivered) and throw error", async () => {
    const zb = c8.getZeebeGrpcApiClient();
    const seen: string[] = [];
    const worker = zb.createWorker({
      taskType: "t",
      pollInterval: 50,
      loglevel: "NONE",
      taskHandler: async (job) => {
        seen.push(`${job.elementId}:${job.retries}`);
        if (job.elementId === "ok") return job.complete({ done: job.variables.n });
        if (job.elementId === "flaky" && job.retries > 1) return job.fail({ errorMessage: "boom", retries: job.retries - 1, retryBackOff: 100 });
        if (job.elementId === "flaky") return job.complete({});
        return job.error({ errorCode: "E1", errorMessage: "rejected", variables: {} });
      },
    });
    // Let the worker's long poll start before jobs are queued.
    await new Promise((r) => setTimeout(r, 200));
    peer.addJob({ type: "t", elementId: "ok", variables: { n: 7 } });
    peer.addJob({ type: "t", elementId: "flaky", retries: 3 });
    peer.addJob({ type: "t", elementId: "bad" });
    await peer.waitFor(() => peer.completions.length === 2 && peer.errors.length === 1, 10000, "jobs");
    await worker.close();
    assert.deepStrictEqual(peer.completions.find((c) => c.job.elementId === "ok")!.variables, { done: 7 });
    assert.strictEqual(peer.failures.length, 2);
    assert.deepStrictEqual(
      peer.failures.map((f) => f.retries),
      [2, 1],
    );
    assert.strictEqual(peer.failures[0].retryBackOff, 100);
    assert.strictEqual(peer.errors[0].errorCode, "E1");
    assert.ok(seen.includes("flaky:1"));
  });

  it("hands a job out again when its activation times out, and refuses the late completion", async () => {
    const zb = c8.getZeebeGrpcApiClient();
    let deliveries = 0;
    const worker = zb.createWorker({
      taskType: "slow-t",
      pollInterval: 50,
      timeout: 200,
      loglevel: "NONE",
      taskHandler: async (job) => {
        deliveries += 1;
        if (deliveries === 1) await new Promise((r) => setTimeout(r, 600));
        return job.complete({ delivery: deliveries });
      },
    });
    const key = peer.addJob({ type: "slow-t" });
    await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 10000, "completion");
    await new Promise((r) => setTimeout(r, 700));
    await worker.close();
    assert.strictEqual(deliveries, 2);
    assert.ok(peer.timedOut >= 1);
    assert.deepStrictEqual(
      peer.completions.filter((c) => c.jobKey === key).map((c) => c.variables),
      [{ delivery: 2 }],
    );
  });
});
