// What a job carries in and out: variables the SDK cannot parse (integers beyond 2^53), replies too
// large for the gateway, completions counted only once Zeebe acknowledged them, and liveness of the
// job workers. Real worker (SDK over gRPC), gateway peer, PostgreSQL, loopback services.
import * as assert from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import type { RunningWorker } from "../src/app";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, getJson, runWorker, testConfig } from "./support/harness";
import { startService, TestService } from "./support/http-services";
import { PostgresServer, startPostgres } from "./support/servers";

const STALL_MS = 1000;

/** Streams up to totalBytes of JSON as fast as the client reads; records how much it could write. */
async function startHugeService(name: string, totalBytes: number): Promise<TestService & { written: number[] }> {
  const written: number[] = [];
  const calls: TestService["calls"] = [];
  const chunk = Buffer.alloc(64 * 1024, "x");
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      calls.push({ path: req.url ?? "/", headers: req.headers, body: undefined, at: Date.now() });
      const i = written.push(0) - 1;
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"blob":"');
      const pump = () => {
        while (written[i] < totalBytes && !res.destroyed) {
          written[i] += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        if (!res.destroyed) res.end('"}');
      };
      pump();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    name,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    written,
    callsTo: (p) => calls.filter((c) => c.path === p),
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe("worker end-to-end: job intake and completion", function () {
  let pg: PostgresServer;
  let peer: GatewayPeer;
  let worker: RunningWorker;
  let huge: Awaited<ReturnType<typeof startHugeService>>;
  const services: TestService[] = [];
  const svc = (name: string) => services.find((s) => s.name === name)!;

  before(async () => {
    pg = await startPostgres();
    peer = await GatewayPeer.start();
    huge = await startHugeService("huge", 50 * 1024 * 1024);
    services.push(
      await startService("cards", (c) => ({ status: 200, body: { accepted: c.body.ok } })),
      await startService("leaky", () => ({ status: 200, body: { ok: true } })),
      await startService("acked", () => ({ status: 200, body: { ok: true } })),
      await startService("big", () => ({ status: 200, body: { blob: "y".repeat(6 * 1024 * 1024) } })),
      huge,
    );
    worker = await runWorker(testConfig(peer, await freshDatabase(pg.url, "intake"), services, { JOB_WORKER_STALL_MS: String(STALL_MS) }));
  });
  after(async () => {
    await worker?.stop(1000);
    await peer.stop();
    for (const s of services) await s.stop();
    await pg.stop();
  });

  it("turns jobs whose variables hold integers beyond 2^53 into incidents naming the variable, never printing it, and keeps the task type polling", async () => {
    const secret = "4111111111111111111";
    const printed: string[] = [];
    const originals = { out: process.stdout.write, err: process.stderr.write };
    const capture = (orig: typeof process.stdout.write) =>
      ((chunk: unknown, ...rest: unknown[]) => {
        printed.push(String(chunk));
        return (orig as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
      }) as typeof process.stdout.write;
    process.stdout.write = capture(originals.out);
    process.stderr.write = capture(originals.err);
    try {
      const bad = peer.addJobs(Array.from({ length: 25 }, () => ({ type: "call-microservice-cards", rawVariables: `{"card":{"number":${secret}},"ok":1}` })));
      await peer.waitFor(() => bad.every((k) => peer.failures.some((f) => f.jobKey === k && f.retries === 0)), 15000, "25 incidents");
      const healthy = peer.addJob({ type: "call-microservice-cards", variables: { ok: 2 } });
      await peer.waitFor(() => peer.completions.some((c) => c.jobKey === healthy), 10000, "a healthy job after them");
      for (const k of bad) {
        const fails = peer.failures.filter((f) => f.jobKey === k);
        assert.deepStrictEqual(
          fails.map((f) => f.retries),
          [0],
          "an incident at once, no retry",
        );
        assert.match(fails[0].errorMessage, /card\.number/);
        assert.match(fails[0].errorMessage, /2\^53/);
        assert.ok(!fails[0].errorMessage.includes(secret), "the value is not in the incident message");
      }
      assert.deepStrictEqual(
        svc("cards").calls.map((c) => c.body.ok),
        [2],
        "no call for the unparseable jobs",
      );
    } finally {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
    }
    assert.ok(!printed.some((p) => p.includes(secret)), "variables never printed");
    assert.strictEqual((await getJson(`http://127.0.0.1:${worker.port}/actuator/health`)).status, 200);
  });

  it("still runs a compensation whose process variables hold such integers (it uses none of them)", async () => {
    const key = peer.addJob({ type: "compensate-cards", rawVariables: `{"card":{"number":4111111111111111111}}` });
    await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 10000, "compensation completed");
  });

  it("reports not alive while a job worker holds slots no handler uses and so can no longer fetch jobs", async () => {
    // Simulates a capacity leak inside the SDK worker (what unparseable variables used to cause).
    const sdkWorker = (worker.jobWorkers as unknown as { workers: Map<string, { activeJobs: number }> }).workers.get("call-microservice-leaky")!;
    sdkWorker.activeJobs += 40;
    // A fetch already open at the gateway may still hand out one job; after it, nothing more is fetched.
    const first = peer.addJob({ type: "call-microservice-leaky" });
    await new Promise((r) => setTimeout(r, 500));
    const key = peer.addJob({ type: "call-microservice-leaky" });
    await new Promise((r) => setTimeout(r, STALL_MS + 1500));
    assert.ok(!peer.completions.some((c) => c.jobKey === key) && peer.pending("call-microservice-leaky") >= 1, "the SDK worker really stopped fetching");
    const health = await getJson(`http://127.0.0.1:${worker.port}/actuator/health`);
    assert.strictEqual(health.status, 503);
    assert.match(JSON.stringify(health.body), /call-microservice-leaky/);
    sdkWorker.activeJobs -= 40;
    await peer.waitFor(() => [first, key].every((k) => peer.completions.some((c) => c.jobKey === k)), 10000, "fetching again");
    assert.strictEqual((await getJson(`http://127.0.0.1:${worker.port}/actuator/health`)).status, 200);
  });

  it("fails a job whose reply exceeds RESPONSE_MAX_BYTES with an incident that says so, reading no more than the cap", async () => {
    const keys = [peer.addJob({ type: "call-microservice-huge", elementId: "Huge" }), peer.addJob({ type: "call-microservice-big", elementId: "Big" })];
    await peer.waitFor(() => keys.every((k) => peer.failures.some((f) => f.jobKey === k)), 15000, "both failed");
    for (const k of keys) {
      const fails = peer.failures.filter((f) => f.jobKey === k);
      assert.deepStrictEqual(
        fails.map((f) => f.retries),
        [0],
        "an incident: the same call would give the same reply",
      );
      assert.match(fails[0].errorMessage, /RESPONSE_MAX_BYTES/);
      assert.match(fails[0].errorMessage, /1048576/);
    }
    assert.ok(!peer.completions.some((c) => keys.includes(c.jobKey)));
    assert.strictEqual(huge.calls.length, 1);
    assert.strictEqual(svc("big").calls.length, 1);
    assert.ok(huge.written[0] < 16 * 1024 * 1024, `stopped reading early (${huge.written[0]} bytes written by the service)`);
    const m = await getJson(`http://127.0.0.1:${worker.port}/metrics`);
    assert.doesNotMatch(m.text, /worker_jobs_total\{type="call-microservice-(huge|big)",outcome="completed"\}/);
  });

  it("counts a completion only once the gateway acknowledged it", async () => {
    const done = peer.addJob({ type: "call-microservice-acked", elementId: "Acked" });
    await peer.waitFor(() => peer.completions.some((c) => c.jobKey === done), 10000, "acknowledged completion");
    const key = peer.addJob({ type: "call-microservice-acked", elementId: "Refused" });
    peer.loseCompletionOf(key);
    await peer.waitFor(() => svc("acked").calls.length === 2, 10000, "call made");
    await new Promise((r) => setTimeout(r, 500));
    const m = await getJson(`http://127.0.0.1:${worker.port}/metrics`);
    assert.match(m.text, /worker_jobs_total\{type="call-microservice-acked",outcome="completed"\} 1\n/, "only the acknowledged completion");
    assert.match(m.text, /worker_jobs_total\{type="call-microservice-acked",outcome="action_refused"\} 1/);
  });
});
