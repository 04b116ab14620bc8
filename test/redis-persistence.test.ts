// Issue 7 item 11: the in-cluster Redis keeps the Redis Streams bus's pending entries across a crash.
// The flags come from the rendered Deployment of the orchestrator, and run in a real redis-server.
import { strict as assert } from "assert";
import Redis from "ioredis";
import { CamundaOrchestrator } from "../components";
import { RenderedResource } from "../render/types";
import { startRedis } from "../workers/test/support/servers";
import { at, ofType, runProgram, single } from "./support/mock-program";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const PVC = "kubernetes:core/v1:PersistentVolumeClaim";

async function renderRedis(eventBus: "kafka" | "redis-streams"): Promise<{ deployment: RenderedResource; resources: RenderedResource[] }> {
  const run = await runProgram(() => {
    new CamundaOrchestrator("shop", {
      namespace: "ns",
      properties: { realtimePlatform: "events", enableEventStreaming: true },
      settings: { eventBus, kafkaStrimziNamespace: "kafka" },
    });
    return {};
  });
  const deployment = ofType(run.resources, DEPLOYMENT).find((d) => at(d, "spec.template.spec.containers.0.name") === "redis");
  assert.ok(deployment, "an in-cluster Redis Deployment");
  return { deployment, resources: run.resources };
}

/** The container's redis-server flags as rendered, without the password (what this test checks is persistence). */
function renderedFlags(deployment: RenderedResource): string[] {
  const container = at(deployment, "spec.template.spec.containers.0");
  assert.deepEqual(container.command, ["redis-server"]);
  const args: string[] = [...container.args];
  const i = args.indexOf("--requirepass");
  assert.ok(i >= 0, "a password is required");
  args.splice(i, 2);
  return args;
}

/** Leaves entries pending in a consumer group (read, not acknowledged), kills Redis with SIGKILL, restarts it. */
async function pendingAfterCrash(flags: string[]): Promise<number> {
  const server = await startRedis({ flags });
  try {
    const before = new Redis(server.url);
    await before.xgroup("CREATE", "shop.triggers", "event-bridge", "0", "MKSTREAM");
    for (let i = 0; i < 3; i++) await before.xadd("shop.triggers", "*", "key", `o-${i}`, "value", JSON.stringify({ bpmnProcessId: "p" }));
    await before.xreadgroup("GROUP", "event-bridge", "worker-1", "COUNT", 10, "STREAMS", "shop.triggers", ">");
    before.disconnect();
    await server.pause("SIGKILL"); // the pod is killed: no shutdown, no final save
    await server.resume();
    const after = new Redis(server.url);
    try {
      const [count] = (await after.xpending("shop.triggers", "event-bridge")) as [number];
      return count;
    } catch (err) {
      if (/NOGROUP/.test(String(err))) return 0; // the stream and its group are gone
      throw err;
    } finally {
      after.disconnect();
    }
  } finally {
    await server.stop();
  }
}

describe("in-cluster Redis persistence (real redis-server, flags as rendered)", function () {
  this.timeout(60_000);

  it("carrying the Redis Streams bus: AOF on a PersistentVolumeClaim; pending entries survive a crash", async () => {
    const { deployment, resources } = await renderRedis("redis-streams");
    const flags = renderedFlags(deployment);
    const claim = single(resources, PVC);
    const pod = at(deployment, "spec.template.spec");
    const mount = pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === "data");
    assert.deepEqual(pod.volumes.find((v: { name: string }) => v.name === "data").persistentVolumeClaim, { claimName: at(claim, "metadata.name") });
    const dir = flags.indexOf("--dir");
    assert.equal(flags[dir + 1], mount.mountPath, "Redis writes into the claim");
    assert.equal(at(deployment, "spec.strategy.type"), "Recreate");
    flags.splice(dir, 2); // redis-server checks --dir at start-up: here the test server's own temp dir stands in for the claim
    assert.equal(await pendingAfterCrash(flags), 3);
  });

  it("with Kafka as the bus Redis keeps nothing, and pending entries would be lost: the flags make the difference", async () => {
    const { deployment, resources } = await renderRedis("kafka");
    assert.equal(ofType(resources, PVC).length, 0);
    assert.equal(await pendingAfterCrash(renderedFlags(deployment)), 0);
  });
});
