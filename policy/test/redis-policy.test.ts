import assert from "assert";
import { renderStack } from "../../render/render";
import { runPolicies } from "../offline";
import { redisDataProblems, redisStreamsDurability } from "../policies/redis-streams-durability";
import { messages, PROD_SECRETS, resource } from "./support";

const ORCH = "camunda-orchestrator:index:CamundaOrchestrator";
const CACHE = "camunda-orchestrator:cache:RedisCache";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const STATEFUL_SET = "kubernetes:apps/v1:StatefulSet";

const orchestrator = (stack: string, props: Record<string, unknown>) =>
  resource(
    ORCH,
    "shop",
    { name: "shop", topicsPrefix: "shop", eventBus: "redis-streams", monitoring: false, redisMode: "in-cluster", redisAppendOnly: false, ...props },
    { stack },
  );

/** The in-cluster Redis as the component renders it (args and volume given), below its RedisCache component. */
function redis(stack: string, opts: { args?: string[]; volume?: Record<string, unknown>; type?: string; spec?: Record<string, unknown> } = {}) {
  const podSpec = {
    containers: [
      {
        name: "redis",
        image: "redis:7.4.1-alpine",
        command: ["redis-server"],
        args: opts.args ?? ["--requirepass", "$(REDIS_PASSWORD)", "--appendonly", "yes", "--dir", "/data"],
        volumeMounts: [{ name: "data", mountPath: "/data" }],
      },
    ],
    volumes: opts.volume ? [{ name: "data", ...opts.volume }] : [],
  };
  return [
    resource(CACHE, "shop-redis", {}, { stack, parent: "shop" }),
    resource(opts.type ?? DEPLOYMENT, "shop-redis-deployment", { spec: { template: { spec: podSpec }, ...opts.spec } }, { stack, parent: "shop-redis" }),
  ];
}

const claim = { persistentVolumeClaim: { claimName: "shop-redis-data" } };

describe("redis-streams-durability (stack policy)", () => {
  it("passes a Redis Streams orchestrator whose in-cluster Redis keeps an AOF on a claim, in prod", async () => {
    assert.deepStrictEqual(await messages(redisStreamsDurability, [orchestrator("prod", {}), ...redis("prod", { volume: claim })]), []);
  });

  it("refuses, in prod, a Redis with appendonly off or its data on an emptyDir", async () => {
    const found = await messages(redisStreamsDurability, [
      orchestrator("prod", {}),
      ...redis("prod", { args: ["--requirepass", "$(REDIS_PASSWORD)", "--appendonly", "yes", "--appendonly", "no", "--save", ""], volume: { emptyDir: {} } }),
    ]);
    assert.deepStrictEqual(found, [
      'Orchestrator "shop" carries its event bus on Redis Streams, but its Redis "shop-redis-deployment" keeps no data: ' +
        "appendonly is no, not yes; its data directory /data is an emptyDir, not a PersistentVolumeClaim.",
    ]);
  });

  it("ignores dev stacks and Kafka orchestrators", async () => {
    const weak = redis("dev", { args: ["--appendonly", "no"], volume: { emptyDir: {} } });
    assert.deepStrictEqual(await messages(redisStreamsDurability, [orchestrator("dev", {}), ...weak]), []);
    assert.deepStrictEqual(
      await messages(redisStreamsDurability, [orchestrator("prod", { eventBus: "kafka" }), ...redis("prod", { args: [], volume: { emptyDir: {} } })]),
      [],
    );
  });

  it("requires an external Redis to be declared append-only, and honours productionStacks", async () => {
    const external = orchestrator("live", { redisMode: "external" });
    assert.deepStrictEqual(await messages(redisStreamsDurability, [external]), [], "live is not a production stack by default");
    const config = { "redis-streams-durability": { productionStacks: ["live"] } };
    assert.match(
      (await messages(redisStreamsDurability, [external], config))[0],
      /external Redis that is not declared to keep its data: .*redisAppendOnly=true/,
    );
    assert.deepStrictEqual(await messages(redisStreamsDurability, [orchestrator("live", { redisMode: "external", redisAppendOnly: true })], config), []);
  });

  it("reports an orchestrator that does not say where its Redis runs, or whose in-cluster Redis is missing", async () => {
    assert.match((await messages(redisStreamsDurability, [orchestrator("prod", { redisMode: undefined })]))[0], /does not state redisMode/);
    assert.match((await messages(redisStreamsDurability, [orchestrator("prod", {})]))[0], /no Redis workload among its parts/);
  });

  it("accepts a StatefulSet whose data directory is a volumeClaimTemplate; the image's /data is the default directory", () => {
    const pod = {
      containers: [
        { name: "cache", image: "docker.io/library/redis:7.4", args: ["--appendonly", "yes"], volumeMounts: [{ name: "state", mountPath: "/data" }] },
      ],
    };
    const props = { spec: { template: { spec: pod }, volumeClaimTemplates: [{ metadata: { name: "state" } }] } };
    assert.deepStrictEqual(redisDataProblems(STATEFUL_SET, props), []);
    assert.deepStrictEqual(redisDataProblems(DEPLOYMENT, props), [
      'its data directory /data is mounted from volume "state", which is not a PersistentVolumeClaim',
    ]);
    const unmounted = {
      spec: { template: { spec: { containers: [{ name: "redis", image: "redis:7", args: ["--appendonly", "yes", "--dir", "/var/lib/redis"] }] } } },
    };
    assert.deepStrictEqual(redisDataProblems(DEPLOYMENT, unmounted), [
      "its data directory /var/lib/redis is not on a mounted volume (it is the container's own filesystem)",
    ]);
    assert.deepStrictEqual(redisDataProblems(DEPLOYMENT, { spec: { template: { spec: { containers: [{ name: "x", image: "nginx:1" }] } } } }), [
      "no redis container found",
    ]);
  });
});

describe("redis-streams-durability over the rendered prod stack", () => {
  it("the component's in-cluster Redis carrying the bus passes; the same render with Redis keeping nothing is refused", async () => {
    const { resources } = await renderStack({ stack: "prod", secrets: PROD_SECRETS, config: { eventBus: "redis-streams", redisMode: "in-cluster" } });
    assert.deepStrictEqual(await runPolicies([redisStreamsDurability], resources), []);
    // What the component rendered before it persisted: appendonly off, data on an emptyDir.
    const weakened = resources.map((r) => {
      const c = r.inputs as any;
      const container = c?.spec?.template?.spec?.containers?.[0];
      if (r.type !== DEPLOYMENT || container?.name !== "redis") return r;
      const spec = {
        ...c.spec.template.spec,
        containers: [{ ...container, args: ["--appendonly", "no", "--save", ""] }],
        volumes: [{ name: "data", emptyDir: {} }],
      };
      return { ...r, inputs: { ...c, spec: { ...c.spec, template: { ...c.spec.template, spec } } } };
    });
    const found = await runPolicies([redisStreamsDurability], weakened);
    assert.ok(
      found.length > 0 && found.every((v) => /keeps no data: appendonly is no, not yes; its data directory \/data is an emptyDir/.test(v.message)),
      JSON.stringify(found),
    );
  });
});
