// Redirects are never followed: a 3xx would hand the job's variables and its Idempotency-Key to
// whatever host the Location names. A redirect is a transient step failure (see README).
import * as assert from "assert";
import type { RunningWorker } from "../src/app";
import { postJson } from "../src/http-call";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, runWorker, testConfig } from "./support/harness";
import { startService, TestService } from "./support/http-services";
import { PostgresServer, startPostgres } from "./support/servers";

const SECRET = "redirect-secret-5f1c";

describe("HTTP redirects", () => {
  let elsewhere: TestService;
  /** Another host; a signed-URL style token in the query, and optionally credentials. */
  const location = (userinfo = "") => `http://${userinfo}${new URL(elsewhere.url).host}/steal?token=${SECRET}`;
  before(async () => {
    elsewhere = await startService("elsewhere", () => ({ status: 200, body: { stolen: true } }));
  });
  after(() => elsewhere.stop());

  for (const status of [301, 302, 303, 307, 308]) {
    it(`are not followed: a ${status} is a transient failure naming the status, and the other host gets nothing`, async () => {
      const moved = await startService("moved", () => ({ status, headers: { location: location() }, body: { moved: true } }));
      try {
        const res = await postJson(`${moved.url}/api/process`, { card: "4111" }, { "Idempotency-Key": "call-1" }, 2000);
        assert.strictEqual(moved.calls.length, 1);
        assert.strictEqual(elsewhere.calls.length, 0, "the redirect target received the request");
        assert.strictEqual(res.status, status);
        assert.strictEqual(res.outcome.kind, "transient");
        assert.match(
          (res.outcome as { reason: string }).reason,
          new RegExp(`^HTTP ${status} redirect to http://127\\.0\\.0\\.1:\\d+/steal refused: redirects are never followed$`),
        );
        assert.ok(!JSON.stringify(res).includes(SECRET), JSON.stringify(res));
      } finally {
        await moved.stop();
      }
    });
  }

  it("name the target without its credentials", async () => {
    const moved = await startService("moved", () => ({ status: 307, headers: { location: location(`user:${SECRET}@`) } }));
    try {
      const res = await postJson(`${moved.url}/api/process`, {}, {}, 2000);
      assert.match(
        (res.outcome as { reason: string }).reason,
        /^HTTP 307 redirect to http:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/steal refused: redirects are never followed$/,
      );
      assert.strictEqual(elsewhere.calls.length, 0);
    } finally {
      await moved.stop();
    }
  });

  it("a relative Location is named against the service's URL", async () => {
    const moved = await startService("moved", () => ({ status: 302, headers: { location: "/login?next=%2Fapi" } }));
    try {
      const res = await postJson(`${moved.url}/api/process`, {}, {}, 2000);
      assert.strictEqual((res.outcome as { reason: string }).reason, `HTTP 302 redirect to ${moved.url}/login refused: redirects are never followed`);
      assert.strictEqual(moved.calls.length, 1);
    } finally {
      await moved.stop();
    }
  });

  describe("in the worker's call and compensation handlers", () => {
    let pg: PostgresServer;
    let peer: GatewayPeer;
    let worker: RunningWorker | undefined;
    const services: TestService[] = [];

    before(async () => {
      [pg, peer] = await Promise.all([startPostgres(), GatewayPeer.start({ redeliverFailedJobs: false })]);
      services.push(
        await startService("moved", () => ({ status: 307, headers: { location: location() } })),
        await startService("undo", (c) =>
          c.path === "/api/compensate" ? { status: 308, headers: { location: location() } } : { status: 200, body: { done: true } },
        ),
      );
      worker = await runWorker(testConfig(peer, await freshDatabase(pg.url, "redirects"), services));
    });
    after(async () => {
      await worker?.stop(1000);
      await peer.stop();
      for (const s of services) await s.stop();
      await pg.stop();
    });

    it("a call answered with a redirect fails the job for a retry, and the target host is never called", async () => {
      const key = peer.addJob({ type: "call-microservice-moved", elementId: "Reserve", variables: { card: "4111" } });
      await peer.waitFor(() => peer.failures.some((f) => f.jobKey === key), 10000, "failure");
      const failure = peer.failures.find((f) => f.jobKey === key)!;
      assert.strictEqual(failure.retries, 2);
      assert.ok(failure.retryBackOff > 0);
      assert.match(failure.errorMessage, /^moved: HTTP 307 redirect to http:\/\/127\.0\.0\.1:\d+\/steal refused: redirects are never followed$/);
      assert.strictEqual(elsewhere.calls.length, 0);
      assert.strictEqual(peer.completions.filter((c) => c.jobKey === key).length, 0);
    });

    it("a compensation answered with a redirect fails for a retry, and the target host is never called", async () => {
      const pik = "6000000000000001";
      const call = peer.addJob({ type: "call-microservice-undo", processInstanceKey: pik, elementId: "Charge" });
      await peer.waitFor(() => peer.completions.some((c) => c.jobKey === call), 10000, "call");
      const comp = peer.addJob({ type: "compensate-undo", processInstanceKey: pik, elementId: "UndoCharge" });
      await peer.waitFor(() => peer.failures.some((f) => f.jobKey === comp), 10000, "compensation failure");
      const failure = peer.failures.find((f) => f.jobKey === comp)!;
      assert.strictEqual(failure.retries, 2);
      assert.match(
        failure.errorMessage,
        /^compensation of undo failed: HTTP 308 redirect to http:\/\/127\.0\.0\.1:\d+\/steal refused: redirects are never followed$/,
      );
      assert.ok(!failure.errorMessage.includes(SECRET));
      assert.strictEqual(elsewhere.calls.length, 0);
    });
  });
});
