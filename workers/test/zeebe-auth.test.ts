// How the worker authenticates to Zeebe: Basic against a protected self-managed cluster (chart 13.x protects its
// API by default), and OAuth as on SaaS, as a non-root user whose HOME is read-only (Knative's read-only root
// filesystem), with a loopback token endpoint and a gateway peer that refuses calls without the right header.
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import pino from "pino";
import { RunningWorker, startWorker } from "../src/app";
import { loadConfig } from "../src/config";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, getJson, testConfig, workflowsDir } from "./support/harness";
import { freePort, PostgresServer, startPostgres } from "./support/servers";

const ROOT = path.resolve(__dirname, "..", "..");
const MAIN = path.join(ROOT, "workers", "src", "main.ts");

/** A loopback OAuth token endpoint (client credentials grant) that counts the grants it hands out. */
async function startTokenEndpoint(clientId: string, clientSecret: string, token: string) {
  const grants: Array<Record<string, string>> = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      grants.push(form);
      const ok = form.grant_type === "client_credentials" && form.client_id === clientId && form.client_secret === clientSecret;
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify(ok ? { access_token: token, token_type: "Bearer", expires_in: 3600 } : { error: "invalid_client" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`,
    grants,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** An access token shaped like the JWT the SDK decodes (it reads `exp` to know when to renew). */
function accessToken(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part({ exp: Math.floor(Date.now() / 1000) + 3600, aud: "zeebe.camunda.io" })}.c2lnbmF0dXJl`;
}

const idOf = (user: string, flag: "-u" | "-g") => Number(spawnSync("id", [flag, user], { encoding: "utf8" }).stdout.trim());

describe("worker authentication to Zeebe", function () {
  let pg: PostgresServer;
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg.stop();
  });

  it("refuses BASIC without its credentials, naming the variable", () => {
    assert.throws(
      () => loadConfig({ DATABASE_URL: "postgres://db/x", CAMUNDA_AUTH_STRATEGY: "BASIC", CAMUNDA_BASIC_AUTH_USERNAME: "w" }),
      /CAMUNDA_BASIC_AUTH_PASSWORD is required when CAMUNDA_AUTH_STRATEGY=BASIC \(not set\)/,
    );
    assert.throws(() => loadConfig({ DATABASE_URL: "postgres://db/x", CAMUNDA_AUTH_STRATEGY: "BEARER" }), /CAMUNDA_AUTH_STRATEGY must be NONE, OAUTH or BASIC/);
  });

  describe("BASIC (embedded chart 13.x, its default method)", () => {
    let peer: GatewayPeer;
    let worker: RunningWorker | undefined;
    const expected = `Basic ${Buffer.from("checkout-worker:s3cret-pw").toString("base64")}`;
    before(async () => {
      peer = await GatewayPeer.start({ requireAuthorization: expected });
    });
    after(async () => {
      await worker?.stop(0);
      await peer.stop();
    });

    it("sends the Basic credentials on every call, so a protected gateway serves it", async () => {
      const config = testConfig(peer, await freshDatabase(pg.url, "auth_basic"), [], {
        CAMUNDA_AUTH_STRATEGY: "BASIC",
        CAMUNDA_BASIC_AUTH_USERNAME: "checkout-worker",
        CAMUNDA_BASIC_AUTH_PASSWORD: "s3cret-pw",
        WORKFLOWS_DIR: workflowsDir(["call-microservice-inventory"]),
      });
      worker = await startWorker(config, pino({ level: "silent" }), { defaultMetrics: false });
      assert.deepStrictEqual(
        peer.deployments.map((d) => d.name),
        ["test.bpmn"],
      );
      assert.deepStrictEqual([...peer.authorizations], [expected]);
    });
  });

  describe("OAUTH (SaaS) as a non-root user with a read-only HOME", function () {
    const isRoot = process.getuid?.() === 0;
    let peer: GatewayPeer;
    let tokens: Awaited<ReturnType<typeof startTokenEndpoint>>;
    let token: string;
    let home: string;
    let child: ChildProcess | undefined;
    let output = "";

    before(async function () {
      if (!isRoot) {
        console.log("      (skipped: running the worker as the nobody user needs root; CI runs as root)");
        this.skip();
      }
      token = accessToken();
      tokens = await startTokenEndpoint("payments-client", "client-secret-value", token);
      peer = await GatewayPeer.start({ requireAuthorization: `Bearer ${token}` });
      // The user's HOME exists but is not writable by it, as on a read-only root filesystem.
      home = fs.mkdtempSync(path.join(os.tmpdir(), "ro-home-"));
      fs.chmodSync(home, 0o555);
    });
    after(async () => {
      if (child && child.exitCode === null) child.kill("SIGKILL");
      await peer?.stop();
      await tokens?.stop();
      if (home) fs.rmSync(home, { recursive: true, force: true });
    });

    it("starts, gets a token and authenticates its gRPC calls, without writing to HOME", async () => {
      const port = await freePort();
      const uid = idOf("nobody", "-u");
      const gid = idOf("nobody", "-g");
      assert.ok(uid > 0 && gid > 0, "needs the nobody user");
      const models = workflowsDir(["call-microservice-payment"]);
      fs.chmodSync(models, 0o755); // readable by the worker's user, as a mounted ConfigMap is
      child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", MAIN], {
        cwd: ROOT,
        uid,
        gid,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: home,
          TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"),
          ZEEBE_GRPC_ADDRESS: peer.address,
          CAMUNDA_AUTH_STRATEGY: "OAUTH",
          ZEEBE_CLIENT_ID: "payments-client",
          ZEEBE_CLIENT_SECRET: "client-secret-value",
          CAMUNDA_OAUTH_URL: tokens.url,
          ZEEBE_TOKEN_AUDIENCE: "zeebe.camunda.io",
          DATABASE_URL: await freshDatabase(pg.url, "auth_oauth"),
          DISCOVERY_STATIC_SERVICES: "{}",
          WORKFLOWS_DIR: models,
          PORT: String(port),
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout!.on("data", (d) => (output += d));
      child.stderr!.on("data", (d) => (output += d));
      const deadline = Date.now() + 60_000;
      for (;;) {
        const ready = await getJson(`http://127.0.0.1:${port}/actuator/ready`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ready) break;
        if (child.exitCode !== null || Date.now() > deadline) assert.fail(`worker did not become ready (exit ${child.exitCode}):\n${output}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.deepStrictEqual(
        peer.deployments.map((d) => d.name),
        ["test.bpmn"],
      );
      assert.deepStrictEqual([...peer.authorizations], [`Bearer ${token}`]);
      assert.ok(tokens.grants.length >= 1 && tokens.grants.every((g) => g.client_id === "payments-client"));
      assert.deepStrictEqual(fs.readdirSync(home), [], "nothing written to HOME");
      assert.ok(!output.includes("client-secret-value") && !output.includes(token), "no credential in the logs");
    });
  });
});
