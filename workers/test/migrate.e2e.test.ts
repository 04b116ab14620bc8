// Workflow versions: a new version leaves running instances on theirs (they complete, the worker serves
// both), and the migration command moves instances in the middle of a saga to the new version, where they
// complete or compensate. Runs against the executing gateway peer (gRPC + its REST search/migration API).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { runMigrate } from "../src/migrate";
import { RedisStreamsBus } from "../src/events/redis-streams-bus";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase, runStreamingWorker, tempDir, TEMPLATES_DIR, testConfig } from "./support/harness";
import { RecordedCall, startService, TestService } from "./support/http-services";
import { PostgresServer, RedisServer, startPostgres, startRedis } from "./support/servers";

const ROOT = path.resolve(__dirname, "..", "..");
const V1 = fs.readFileSync(path.join(TEMPLATES_DIR, "compensation-saga.bpmn"), "utf8");

/** Version 2: the wait is renamed Task_AwaitApproval, and a notification step follows it. */
function version2(): string {
  const notify = `<bpmn:serviceTask id="Task_Notify" name="Notify customer"><bpmn:extensionElements><zeebe:taskDefinition type="call-microservice-notification" retries="3" /></bpmn:extensionElements><bpmn:incoming>Flow_ToCompleted</bpmn:incoming><bpmn:outgoing>Flow_NotifyToEnd</bpmn:outgoing></bpmn:serviceTask>`;
  const xml = V1.replaceAll("Task_AwaitConfirmation", "Task_AwaitApproval")
    .replace(
      '<bpmn:sequenceFlow id="Flow_ToCompleted" sourceRef="Task_AwaitApproval" targetRef="End_SagaCompleted" />',
      `<bpmn:sequenceFlow id="Flow_ToCompleted" sourceRef="Task_AwaitApproval" targetRef="Task_Notify" /><bpmn:sequenceFlow id="Flow_NotifyToEnd" sourceRef="Task_Notify" targetRef="End_SagaCompleted" />${notify}`,
    )
    .replace("<bpmn:incoming>Flow_ToCompleted</bpmn:incoming>\n    </bpmn:endEvent>", "<bpmn:incoming>Flow_NotifyToEnd</bpmn:incoming>\n    </bpmn:endEvent>");
  assert.notStrictEqual(xml, V1);
  return xml;
}

function dirWith(xml: string): string {
  const dir = tempDir("wf-version-");
  fs.writeFileSync(path.join(dir, "compensation-saga.bpmn"), xml);
  return dir;
}

function mappingFile(content: unknown): string {
  const file = path.join(tempDir("mapping-"), "mapping.json");
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

describe("migration command: arguments", () => {
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runMigrate(args, { ZEEBE_REST_ADDRESS: "http://127.0.0.1:1" }, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  it("--help prints the usage and exits 0", async () => {
    const r = await run(["--help"]);
    assert.strictEqual(r.code, 0);
    assert.match(r.out, /^Usage: npm run migrate -w workers -- --process <bpmnProcessId> --from <version> --to <version> --mapping <file>/);
    assert.match(r.out, /Exit codes: 0 /);
  });

  it("exits 2 naming what is wrong: missing options, a bad version, an unknown option, a bad mapping file", async () => {
    assert.deepStrictEqual(await run(["--process", "p"]).then((r) => [r.code, r.err.split("\n")[0]]), [2, "migrate: missing --from, --to, --mapping"]);
    assert.deepStrictEqual(await run(["--process", "p", "--from", "one", "--to", "2", "--mapping", "m"]).then((r) => [r.code, r.err.split("\n")[0]]), [
      2,
      'migrate: --from must be a version number (1, 2, ...), got "one"',
    ]);
    assert.strictEqual((await run(["--proces", "p"])).code, 2);
    const notJson = await run(["--process", "p", "--from", "1", "--to", "2", "--mapping", mappingFile("{ nope")]);
    assert.strictEqual(notJson.code, 2);
    assert.match(notJson.err, /is not JSON/);
    const badShape = await run(["--process", "p", "--from", "1", "--to", "2", "--mapping", mappingFile({ A: 3 })]);
    assert.match(badShape.err, /the target of "A" must be a non-empty string/);
    const missing = await run(["--process", "p", "--from", "1", "--to", "2", "--mapping", "/nonexistent/m.json"]);
    assert.match(missing.err, /cannot read mapping file \/nonexistent\/m\.json/);
  });

  it("runs as an npm script with util.parseArgs and a non-zero exit for bad usage", () => {
    const r = spawnSync("npm", ["run", "--silent", "migrate", "-w", "workers", "--", "--process", "p"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, ZEEBE_REST_ADDRESS: "" },
    });
    assert.strictEqual(r.status, 2, r.stderr);
    assert.match(r.stderr, /migrate: missing --from, --to, --mapping/);
  });
});

describe("migration command: in the image", () => {
  it("with OAuth and an unwritable HOME (read-only root filesystem) keeps tokens in memory instead of exiting", () => {
    // HOME below a regular file: no one, root included, can create $HOME/.camunda there.
    const blocker = path.join(tempDir("home-"), "file");
    fs.writeFileSync(blocker, "");
    const r = spawnSync(
      "npm",
      ["run", "--silent", "migrate", "-w", "workers", "--", "--process", "p", "--from", "1", "--to", "2", "--mapping", mappingFile({ A: "A" })],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: {
          ...process.env,
          HOME: path.join(blocker, "home"),
          CAMUNDA_AUTH_STRATEGY: "OAUTH",
          ZEEBE_CLIENT_ID: "c",
          ZEEBE_CLIENT_SECRET: "s",
          CAMUNDA_OAUTH_URL: "http://127.0.0.1:1/token",
          ZEEBE_REST_ADDRESS: "http://127.0.0.1:1",
        },
      },
    );
    assert.doesNotMatch(r.stderr, /Cannot write to OAuth cache dir/);
    // It got as far as asking the (unreachable) token endpoint: the REST API failed while searching.
    assert.strictEqual(r.status, 4, r.stderr);
  });
});

describe("workflow versions and migration on the executing peer", function () {
  let pg: PostgresServer;
  let redis: RedisServer;
  let peer: GatewayPeer;
  let producer: RedisStreamsBus;
  let db: string;
  const workers: { stop(drainMs?: number): Promise<void> }[] = [];
  let releaseShipping!: () => void;
  const shippingHeld = new Promise<void>((r) => (releaseShipping = r));
  const services: TestService[] = [];
  const svc = (name: string) => services.find((s) => s.name === name)!;
  const behaviour = (name: string) => (c: RecordedCall) => {
    if (c.path === "/api/compensate") return { status: 200, body: { undone: c.body.elementId }, delayMs: 100 };
    // Saga "mid-step" gets its shipping answer only when the test releases it: it is migrated while its shipping job runs.
    return { status: 200, body: { by: name }, until: name === "shipping" && c.body.sagaId === "mid-step" ? shippingHeld : undefined };
  };
  /** A worker revision with these models; the previous revision keeps running (a rollout). */
  const startWorkerWith = async (xml: string) => {
    const config = testConfig(peer, db, services, {
      WORKFLOWS_DIR: dirWith(xml),
      ENABLE_EVENT_STREAMING: "true",
      EVENT_BUS: "redis-streams",
      REDIS_URL: redis.url,
    });
    workers.push(await runStreamingWorker(config));
  };
  const migrate = async (mapping: unknown, extra: string[] = []) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runMigrate(
      ["--process", "compensation-saga", "--from", "1", "--to", "2", "--mapping", mappingFile(mapping), ...extra],
      { ZEEBE_REST_ADDRESS: peer.restAddress, CAMUNDA_AUTH_STRATEGY: "NONE" },
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    );
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  const confirm = (sagaId: string) =>
    producer.publish("shop.responses", {
      key: sagaId,
      value: { messageName: "saga-confirmed", correlationKey: sagaId },
      headers: { "event-id": `confirm-${sagaId}` },
    });
  const waiting = (pik: string) => peer.waitFor(() => peer.instance(pik).subscriptions.size > 0, 15000, `instance ${pik} waiting for confirmation`);
  const calls = (name: string, pik: string, p = "/api/process") =>
    svc(name)
      .callsTo(p)
      .filter((c) => (p === "/api/compensate" ? c.body.processInstanceKey === pik : String(c.headers["idempotency-key"]).includes(pik)));

  before(async () => {
    [pg, redis, peer] = await Promise.all([startPostgres(), startRedis(), GatewayPeer.start({ execute: true, rest: true })]);
    for (const name of ["inventory", "payment", "shipping", "notification"]) services.push(await startService(name, behaviour(name)));
    producer = new RedisStreamsBus({ url: redis.url, clientId: "test-producer" });
    db = await freshDatabase(pg.url, "versions");
  });
  after(async () => {
    releaseShipping();
    for (const w of workers) await w.stop();
    await producer.close();
    await peer.stop();
    for (const s of services) await s.stop();
    await Promise.all([redis.stop(), pg.stop()]);
  });

  it("a new version leaves running instances on theirs; the migration command checks the mapping, then moves them mid-saga; they complete or compensate on version 2", async () => {
    await startWorkerWith(V1);
    const start = (sagaId: string) => peer.engine!.createInstance({ bpmnProcessId: "compensation-saga", variables: { sagaId } }).key;
    const stays = start("stays-on-v1");
    const completes = start("completes-on-v2");
    const compensates = start("compensates-on-v2");
    const midStep = start("mid-step");
    for (const pik of [stays, completes, compensates]) await waiting(pik);
    await peer.waitFor(() => calls("shipping", midStep).length === 1, 15000, "mid-step shipping call running");

    // Version 2 rolls out: a new worker revision deploys it while the old one still runs.
    await startWorkerWith(version2());
    assert.deepStrictEqual(
      peer.engine!.definitions.map((d) => d.version),
      [1, 2],
    );
    const onV2 = start("new-on-v2");
    assert.strictEqual(peer.instance(onV2).definition.version, 2);

    // A running version-1 instance still completes on version 1, with both revisions serving jobs.
    await confirm("stays-on-v1");
    const v1End = await peer.waitForEnd(stays);
    assert.strictEqual(v1End.definition.version, 1);
    assert.deepStrictEqual(v1End.endEvents, ["End_SagaCompleted"]);
    assert.strictEqual(calls("notification", stays).length, 0, "version 1 has no notification step");

    // Bad plans are refused before anything moves.
    const unmapped = await migrate({ Task_Shipping: "Task_Shipping" });
    assert.strictEqual(unmapped.code, 3);
    assert.match(unmapped.err, /every active element needs a mapping/);
    assert.match(unmapped.err, new RegExp(`instance ${completes}: active "Task_AwaitConfirmation" not mapped`));
    const wrongType = await migrate({ Task_AwaitConfirmation: "Task_Notify", Task_Shipping: "Task_Shipping" });
    assert.strictEqual(wrongType.code, 3);
    assert.match(wrongType.err, /"Task_AwaitConfirmation" \(bpmn:ReceiveTask\) is mapped to "Task_Notify" of another type \(bpmn:ServiceTask\)/);
    const unknown = await migrate({ Task_AwaitConfirmation: "Task_AwaitConfirmation", Task_Shipping: "Task_Shipping" });
    assert.strictEqual(unknown.code, 3);
    assert.match(unknown.err, /target element "Task_AwaitConfirmation" does not exist in the target version/);
    const noVersion = await runMigrate(
      ["--process", "compensation-saga", "--from", "1", "--to", "7", "--mapping", mappingFile({})],
      { ZEEBE_REST_ADDRESS: peer.restAddress },
      { out: () => undefined, err: () => undefined },
    );
    assert.strictEqual(noVersion, 3);
    for (const pik of [completes, compensates, midStep]) assert.strictEqual(peer.instance(pik).definition.version, 1, "nothing migrated");

    // A dry run lists, a real run migrates, each instance reported.
    const mapping = { Task_AwaitConfirmation: "Task_AwaitApproval", Task_Shipping: "Task_Shipping" };
    const dry = await migrate(mapping, ["--dry-run"]);
    assert.strictEqual(dry.code, 0, dry.err);
    assert.match(dry.out, /dry run: 3 instances of compensation-saga version 1 -> 2 would be migrated/);
    assert.strictEqual(peer.instance(completes).definition.version, 1);
    const done = await migrate(mapping);
    assert.strictEqual(done.code, 0, done.err);
    for (const pik of [completes, compensates, midStep]) {
      assert.match(done.out, new RegExp(`migrated ${pik} \\(active: `));
      assert.strictEqual(peer.instance(pik).definition.version, 2);
    }
    assert.match(done.out, /3 migrated, 0 failed/);

    // On version 2: the confirmed saga runs the new notification step and completes.
    await confirm("completes-on-v2");
    const c = await peer.waitForEnd(completes);
    assert.deepStrictEqual(c.endEvents, ["End_SagaCompleted"]);
    assert.strictEqual(calls("notification", completes).length, 1);

    // On version 2: a compensation request undoes the steps completed on version 1, in reverse order.
    await producer.publish("shop.errors", {
      key: "compensates-on-v2",
      value: { correlationKey: "compensates-on-v2", error: "cancelled by customer" },
      headers: { "event-id": "err-v2" },
    });
    const k = await peer.waitForEnd(compensates);
    assert.deepStrictEqual(k.endEvents, ["End_SagaCompensated"]);
    const undo = ["inventory", "payment", "shipping"].map((s) => ({ s, at: calls(s, compensates, "/api/compensate")[0]?.at })).sort((a, b) => a.at - b.at);
    assert.deepStrictEqual(
      undo.map((u) => u.s),
      ["shipping", "payment", "inventory"],
    );

    // Migrated while its shipping job ran (held by the old revision): the job completes on version 2,
    // the old revision drains and stops, and the new one carries the saga on.
    assert.deepStrictEqual(peer.instance(midStep).activeElements(), ["Task_Shipping"]);
    releaseShipping();
    await workers.shift()!.stop(5000);
    await waiting(midStep);
    assert.deepStrictEqual(peer.instance(midStep).activeElements(), ["Task_AwaitApproval"]);
    assert.strictEqual(calls("shipping", midStep).length, 1, "the running step was not started again");
    await confirm("mid-step");
    assert.deepStrictEqual((await peer.waitForEnd(midStep)).endEvents, ["End_SagaCompleted"]);
    assert.strictEqual(calls("notification", midStep).length, 1);

    // Instances created on version 2 run it.
    await waiting(onV2);
    await confirm("new-on-v2");
    assert.deepStrictEqual((await peer.waitForEnd(onV2)).endEvents, ["End_SagaCompleted"]);
    assert.strictEqual(calls("notification", onV2).length, 1);

    // Nothing left to migrate.
    const none = await migrate(mapping);
    assert.strictEqual(none.code, 0);
    assert.match(none.out, /no running instances of compensation-saga version 1 -> 2/);
  });
});
