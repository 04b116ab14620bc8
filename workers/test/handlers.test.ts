// The call handler with saga patterns switched off, driven directly with a recording job.
import * as assert from "assert";
import { Pool } from "pg";
import pino from "pino";
import { staticRegistry } from "../src/discovery/registry";
import { handleCall } from "../src/handlers/call-microservice";
import { HandlerConfig, HandlerDeps, WorkerJob } from "../src/handlers/context";
import { Metrics } from "../src/metrics";
import { SagaLogAvailability } from "../src/saga/availability";
import { SagaLog } from "../src/saga/log";
import { migrate } from "../src/saga/migrations";
import { StepEvents } from "../src/step-events";
import { freshDatabase } from "./support/harness";
import { startService, TestService } from "./support/http-services";
import { freePort, PostgresServer, startPostgres } from "./support/servers";

type Action = { kind: "complete" | "fail" | "error"; arg: any };

function recordingJob(elementId: string, headers: Record<string, string> = {}): WorkerJob & { actions: Action[] } {
  const actions: Action[] = [];
  return {
    actions,
    key: `job-${elementId}`,
    type: "call-microservice-svc",
    processInstanceKey: "77",
    bpmnProcessId: "p",
    elementId,
    elementInstanceKey: `eik-${elementId}`,
    retries: 3,
    variables: { orderId: "o" },
    customHeaders: headers,
    complete: async (v) => actions.push({ kind: "complete", arg: v }),
    fail: async (c) => actions.push({ kind: "fail", arg: c }),
    error: async (e) => actions.push({ kind: "error", arg: e }),
  };
}

describe("call handler and saga patterns", () => {
  let pg: PostgresServer;
  let pool: Pool;
  let svc: TestService;
  let closed: string;
  const deps = (patterns: HandlerConfig["SAGA_PATTERNS"], registry: Record<string, string>): HandlerDeps => {
    const metrics = new Metrics(false);
    const log = pino({ level: "silent" });
    return {
      config: {
        CALL_TIMEOUT_MS: 2000,
        BACKOFF_BASE_MS: 100,
        BACKOFF_CAP_MS: 1000,
        SAGA_PATTERNS: patterns,
        JOB_TIMEOUT_MS: 60000,
        RESPONSE_MAX_BYTES: 1048576,
        COMPENSATION_ORDER_WAIT_MS: 1000,
      },
      registry: staticRegistry(registry),
      saga: new SagaLog(pool),
      availability: new SagaLogAvailability(async () => undefined),
      metrics,
      events: new StepEvents(),
      log,
    };
  };

  before(async () => {
    pg = await startPostgres();
    pool = SagaLog.connect(await freshDatabase(pg.url, "handlers"));
    await migrate(pool);
    svc = await startService("svc", () => ({ status: 200, body: { ok: true }, delayMs: 200 }));
    closed = `http://127.0.0.1:${await freePort()}`; // nothing listens there
  });
  after(async () => {
    await pool.end();
    await svc.stop();
    await pg.stop();
  });

  it("with retry on, a connection error fails with retries - 1 and a backoff", async () => {
    const job = recordingJob("A");
    await handleCall(job, "svc", deps(["compensation", "timeout", "retry"], { svc: closed }));
    assert.strictEqual(job.actions[0].kind, "fail");
    assert.strictEqual(job.actions[0].arg.retries, 2);
    assert.ok(job.actions[0].arg.retryBackOff >= 50 && job.actions[0].arg.retryBackOff <= 100);
    assert.match(job.actions[0].arg.errorMessage, /svc: connection error ECONNREFUSED/);
  });

  it("with retry off, a transient failure fails with no retries left (incident)", async () => {
    const job = recordingJob("B");
    await handleCall(job, "svc", deps(["compensation", "timeout"], { svc: closed }));
    assert.deepStrictEqual(
      job.actions.map((a) => [a.kind, a.arg.retries, a.arg.retryBackOff]),
      [["fail", 0, 0]],
    );
  });

  it("with timeout on, the timeoutMs header applies; with timeout off only CALL_TIMEOUT_MS does", async () => {
    const on = recordingJob("C", { timeoutMs: "50" });
    await handleCall(on, "svc", deps(["timeout", "retry"], { svc: svc.url }));
    assert.strictEqual(on.actions[0].kind, "fail");
    assert.match(on.actions[0].arg.errorMessage, /timeout/);
    const off = recordingJob("D", { timeoutMs: "50" });
    await handleCall(off, "svc", deps(["retry"], { svc: svc.url }));
    assert.deepStrictEqual(off.actions, [{ kind: "complete", arg: { svc: { ok: true } } }]);
  });
});
