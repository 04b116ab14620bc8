// Start-up order, models the worker cannot serve, and the blue/green hand-over of a pull worker: the new
// revision is ready (models deployed, job workers open) before the old one stops taking jobs; the old one
// drains its running jobs; instances of older model versions keep completing.
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import pino from "pino";
import { RunningWorker, startWorker } from "../src/app";
import { ConfigError } from "../src/config";
import { isSuperseded, RevisionSource } from "../src/rollout";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, getJson, testConfig, workflowsDir } from "./support/harness";
import { startService, TestService } from "./support/http-services";
import { freePort, PostgresServer, startPostgres } from "./support/servers";

const ROOT = path.resolve(__dirname, "..", "..");
const MAIN = path.join(ROOT, "workers", "src", "main.ts");
const silent = pino({ level: "silent" });

/** A model with one service task per type, under a given process id. */
function model(dir: string, file: string, processId: string, types: string[]): void {
  const tasks = types
    .map((t, i) => `<bpmn:serviceTask id="t${i}"><bpmn:extensionElements><zeebe:taskDefinition type="${t}"/></bpmn:extensionElements></bpmn:serviceTask>`)
    .join("");
  fs.writeFileSync(
    path.join(dir, file),
    `<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t"><bpmn:process id="${processId}" isExecutable="true">${tasks}</bpmn:process></bpmn:definitions>`,
  );
}

/** The newest ready revision, as the test says. */
class ScriptedRevisions implements RevisionSource {
  latest = "checkout-worker-00001";
  async latestReadyRevision(): Promise<string> {
    return this.latest;
  }
}

async function waitUntil(what: string, predicate: () => Promise<boolean> | boolean, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ready = (port: number) => getJson(`http://127.0.0.1:${port}/actuator/ready`);

describe("worker start-up and rollout", function () {
  let pg: PostgresServer;
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg.stop();
  });

  describe("models it cannot serve", () => {
    it("refuses to start, naming the model, the task type and why, before connecting to anything", async () => {
      const dir = workflowsDir(["call-microservice-inventory"]);
      model(dir, "notify.bpmn", "notify", ["publish-and-wait", "compensate-inventory"]);
      const config = testConfig({ address: "grpc://127.0.0.1:1" } as GatewayPeer, "postgres://nobody@127.0.0.1:1/none", [], {
        WORKFLOWS_DIR: dir,
        SAGA_PATTERNS: "retry",
      });
      await assert.rejects(startWorker(config, silent), (err: Error) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, /notify\.bpmn uses task type publish-and-wait, which this worker does not serve: event streaming is off/);
        assert.match(err.message, /notify\.bpmn uses task type compensate-inventory, which this worker does not serve: the compensation saga pattern is off/);
        assert.doesNotMatch(err.message, /test\.bpmn/);
        return true;
      });
    });

    it("exits 2 with that message as a process", async () => {
      const dir = workflowsDir([]);
      model(dir, "notify.bpmn", "notify", ["publish-and-wait"]);
      const child: ChildProcess = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", MAIN], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"),
          DATABASE_URL: "postgres://db/x",
          WORKFLOWS_DIR: dir,
          DISCOVERY_STATIC_SERVICES: "{}",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stderr!.on("data", (d) => (out += d));
      const code = await new Promise<number | null>((r) => child.on("exit", r));
      assert.strictEqual(code, 2, out);
      assert.match(out, /^invalid configuration: WORKFLOWS_DIR .*notify\.bpmn uses task type publish-and-wait, which this worker does not serve/);
    });
  });

  describe("start-up", () => {
    it("listens from the start, live but not ready until the models are deployed and the job workers open", async () => {
      const gatewayPort = await freePort();
      const port = await freePort();
      const config = testConfig({ address: `grpc://127.0.0.1:${gatewayPort}` } as GatewayPeer, await freshDatabase(pg.url, "startup_order"), [], {
        PORT: String(port),
        WORKFLOWS_DIR: workflowsDir(["call-microservice-inventory"]),
      });
      // No gateway yet: the deployment waits and retries.
      const starting = startWorker(config, silent, { defaultMetrics: false });
      let peer: GatewayPeer | undefined;
      let worker: RunningWorker | undefined;
      try {
        await waitUntil("the ops server", () =>
          getJson(`http://127.0.0.1:${port}/actuator/health`).then(
            (r) => r.status === 200,
            () => false,
          ),
        );
        await waitUntil("the deployment phase", async () => JSON.stringify((await ready(port)).body).includes("starting: workflow deployment"));
        const notReady = await ready(port);
        assert.strictEqual(notReady.status, 503);
        assert.deepStrictEqual(notReady.body, { status: "DOWN", checks: { startup: "DOWN: starting: workflow deployment" } });
        peer = await GatewayPeer.start({}, gatewayPort);
        worker = await starting;
        assert.strictEqual((await ready(port)).status, 200);
        assert.deepStrictEqual(worker.jobWorkers.types(), ["call-microservice-inventory"]);
      } finally {
        await (worker ?? (await starting.catch(() => undefined)))?.stop(0);
        await peer?.stop();
      }
    });
  });

  describe("blue/green hand-over on Knative", () => {
    let peer: GatewayPeer;
    let inventory: TestService;
    let blue: RunningWorker | undefined;
    let green: RunningWorker | undefined;
    const revisions = new ScriptedRevisions();

    before(async () => {
      peer = await GatewayPeer.start();
      inventory = await startService("inventory", (call) => ({ status: 200, body: { reserved: call.body.orderId }, delayMs: call.body.slow ? 1500 : 0 }));
    });
    after(async () => {
      await blue?.stop(0);
      await green?.stop(0);
      await inventory.stop();
      await peer.stop();
    });

    it("hands over: the new revision serves before the old one stops, the old one drains, old versions keep completing", async () => {
      const database = await freshDatabase(pg.url, "rollout");
      const v1 = workflowsDir([]);
      model(v1, "order.bpmn", "order", ["call-microservice-inventory"]);
      const v2 = workflowsDir([]);
      model(v2, "order.bpmn", "order", ["call-microservice-inventory", "call-microservice-inventory-audit"]);
      const knative = (revision: string, dir: string) =>
        testConfig(peer, database, [inventory], {
          K_SERVICE: "checkout-worker",
          K_REVISION: revision,
          ROLLOUT_POLL_MS: "50",
          WORKFLOWS_DIR: dir,
          SHUTDOWN_DRAIN_MS: "10000",
        });

      blue = await startWorker(knative("checkout-worker-00001", v1), silent, { revisionSource: revisions, defaultMetrics: false });
      const slow = peer.addJob({ type: "call-microservice-inventory", bpmnProcessId: "order", variables: { orderId: "slow", slow: true } });
      await waitUntil("the old revision to take the slow job", () => inventory.calls.some((c) => c.body.orderId === "slow"));

      // The new revision starts while the old one still works, and is ready only with its models and workers up.
      green = await startWorker(knative("checkout-worker-00002", v2), silent, { revisionSource: revisions, defaultMetrics: false });
      assert.strictEqual((await ready(green.port)).status, 200);
      assert.strictEqual((await ready(blue.port)).status, 200, "the old revision keeps serving until the new one is ready");
      assert.deepStrictEqual(
        peer.deployments.filter((d) => d.name === "order.bpmn").map((d) => d.content.includes("inventory-audit")),
        [false, true],
        "v1, then v2",
      );

      // Knative marks the new revision ready: the old one stops taking jobs and drains the one it holds.
      revisions.latest = "checkout-worker-00002";
      assert.strictEqual(await blue.retired, "checkout-worker-00002");
      assert.ok(
        peer.completions.some((c) => c.jobKey === slow),
        "the running job was finished, not abandoned",
      );
      const retired = await ready(blue.port);
      assert.strictEqual(retired.status, 503);
      assert.match(retired.body.checks.rollout, /retired: revision checkout-worker-00002 took over/);
      assert.strictEqual((await getJson(`http://127.0.0.1:${blue.port}/actuator/health`)).status, 200, "alive, so the kubelet does not restart it");

      // New jobs, of the old model version too, go to the new revision only.
      const old = peer.addJob({ type: "call-microservice-inventory", bpmnProcessId: "order", variables: { orderId: "v1-instance" } });
      await peer.waitFor(() => peer.completions.some((c) => c.jobKey === old), 10000, "the old version's job");
      assert.strictEqual(peer.completions.find((c) => c.jobKey === old)!.job.bpmnProcessId, "order");
      assert.strictEqual(inventory.calls.filter((c) => c.body.orderId === "v1-instance").length, 1);
      assert.strictEqual(blue.jobWorkers.activeJobs(), 0);
      assert.strictEqual((await ready(green.port)).status, 200);
    });

    it("does not retire for an older or equal revision, nor on names without a generation", () => {
      assert.strictEqual(isSuperseded("w-00002", "w-00001"), false);
      assert.strictEqual(isSuperseded("w-00002", "w-00002"), false);
      assert.strictEqual(isSuperseded("w-00002", undefined), false);
      assert.strictEqual(isSuperseded("w-00002", "w-00010"), true);
      assert.strictEqual(isSuperseded("blue", "green"), undefined);
    });
  });
});
