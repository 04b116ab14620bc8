import { strict as assert } from "assert";
import { postgresUrl, redisUrl } from "../components/connection-strings";
import { camundaHelmValues } from "../components/helm-values";
import { knativeWorkerSpec, WORKER_PORT } from "../components/knative";
import { contentHash, embeddedZeebeAddresses, saasAddresses, topicNames, topicObjectName } from "../components/naming";
import { topicConfig } from "../components/topics";
import { EnvVar, workerEnvironment, WorkerEnvInputs } from "../components/worker-env";

const envInputs: WorkerEnvInputs = {
  zeebe: { grpcAddress: "grpc://zeebe:26500", restAddress: "http://zeebe:8080", auth: { strategy: "NONE" } },
  databaseSecretName: "db",
  redisSecretName: "redis",
  events: { enabled: true, bus: "kafka", kafkaBrokers: "k:9092", kafkaTls: false },
  topicsPrefix: "shop",
  sagaPatterns: ["compensation", "retry"],
  discoveryNamespaces: [],
  workflowsDir: "/workflows",
  extra: { LOG_LEVEL: "debug" },
};
const byName = (env: EnvVar[]) => new Map(env.map((e) => [e.name, e]));

describe("naming and value helpers", () => {
  it("names the seven topics under the prefix", () => {
    assert.deepEqual(Object.values(topicNames("shop.prod")), [
      "shop.prod.workflow-events",
      "shop.prod.service-results",
      "shop.prod.compensation-triggers",
      "shop.prod.dead-letter",
      "shop.prod.triggers",
      "shop.prod.responses",
      "shop.prod.errors",
    ]);
    assert.equal(topicObjectName("Shop.Prod_x.dead-letter"), "shop-prod-x-dead-letter");
  });

  it("computes Zeebe addresses for the chart and for SaaS", () => {
    assert.deepEqual(embeddedZeebeAddresses("checkout-camunda", "shop", {}), {
      grpcAddress: "grpc://checkout-camunda-zeebe-gateway.shop.svc.cluster.local:26500",
      restAddress: "http://checkout-camunda-zeebe-gateway.shop.svc.cluster.local:8080",
    });
    const saas = saasAddresses("abc", "bru-2");
    assert.equal(saas.grpcAddress, "grpcs://abc.bru-2.zeebe.camunda.io:443");
    assert.equal(saas.restAddress, "https://bru-2.zeebe.camunda.io/abc");
    assert.equal(saas.oauthUrl, "https://login.cloud.camunda.io/oauth/token");
  });

  it("hashes content independently of order, and changes with any byte", () => {
    const a = contentHash([
      ["a.bpmn", "<a/>"],
      ["b.bpmn", "<b/>"],
    ]);
    assert.equal(
      a,
      contentHash([
        ["b.bpmn", "<b/>"],
        ["a.bpmn", "<a/>"],
      ]),
    );
    assert.notEqual(
      a,
      contentHash([
        ["a.bpmn", "<a />"],
        ["b.bpmn", "<b/>"],
      ]),
    );
    assert.match(a, /^[0-9a-f]{10}$/);
  });

  it("percent-encodes credentials in connection URLs", () => {
    assert.equal(
      postgresUrl({ user: "w", password: "p@ss/word", host: "h", port: 5432, database: "d", sslMode: "require" }),
      "postgres://w:p%40ss%2Fword@h:5432/d?sslmode=require",
    );
    assert.equal(redisUrl({ password: "a:b", host: "r", port: 6379 }), "redis://:a%3Ab@r:6379");
  });

  it("keeps dead letters longer than other topics", () => {
    const settings = { partitions: 3, replicationFactor: 3, minInsyncReplicas: 2, retentionMs: 1000, deadLetterRetentionMs: 5000 };
    assert.equal(topicConfig("deadLetter", settings)["retention.ms"], "5000");
    assert.equal(topicConfig("triggers", settings)["retention.ms"], "1000");
    assert.equal(topicConfig("triggers", settings)["min.insync.replicas"], "2");
  });

  it("sizes the Camunda chart through the 8.8 orchestration block", () => {
    const values = camundaHelmValues({ sizing: { clusterSize: 3, partitionCount: 6, replicationFactor: 3 }, auth: { method: "none" } }) as {
      orchestration: Record<string, unknown>;
      elasticsearch: { master: { replicaCount: number } };
    };
    assert.equal(values.orchestration.clusterSize, "3");
    assert.equal(values.orchestration.partitionCount, "6");
    assert.equal(values.orchestration.replicationFactor, "3");
    assert.equal(values.elasticsearch.master.replicaCount, 3);
  });
});

describe("worker environment", () => {
  it("passes credentials only by secretKeyRef", () => {
    const env = byName(
      workerEnvironment({
        ...envInputs,
        zeebe: { ...envInputs.zeebe, auth: { strategy: "OAUTH", secretName: "zeebe", url: "https://login", audience: "zeebe.camunda.io" } },
        events: { ...envInputs.events, kafkaSasl: { mechanism: "scram-sha512", secretName: "kafka" } },
      }),
    );
    for (const name of ["DATABASE_URL", "REDIS_URL", "ZEEBE_CLIENT_ID", "ZEEBE_CLIENT_SECRET", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"]) {
      const entry = env.get(name);
      assert.ok(entry && "valueFrom" in entry, `${name} must come from a Secret`);
    }
    assert.deepEqual(env.get("ZEEBE_CLIENT_SECRET"), {
      name: "ZEEBE_CLIENT_SECRET",
      valueFrom: { secretKeyRef: { name: "zeebe", key: "ZEEBE_CLIENT_SECRET" } },
    });
    assert.deepEqual(env.get("CAMUNDA_AUTH_STRATEGY"), { name: "CAMUNDA_AUTH_STRATEGY", value: "OAUTH" });
  });

  it("sets no credentials for an unprotected Zeebe, and passes the component's environment last", () => {
    const env = workerEnvironment(envInputs);
    const names = env.map((e) => e.name);
    assert.ok(!names.includes("ZEEBE_CLIENT_SECRET"));
    assert.deepEqual(byName(env).get("CAMUNDA_AUTH_STRATEGY"), { name: "CAMUNDA_AUTH_STRATEGY", value: "NONE" });
    assert.equal(names[names.length - 1], "LOG_LEVEL");
    assert.equal(new Set(names).size, names.length, "no variable twice");
  });

  it("leaves out Kafka for Redis Streams", () => {
    const names = workerEnvironment({ ...envInputs, events: { enabled: true, bus: "redis-streams" } }).map((e) => e.name);
    assert.ok(!names.some((n) => n.startsWith("KAFKA_")));
    assert.ok(names.includes("EVENT_BUS"));
  });

  it("passes the Basic credentials by secretKeyRef", () => {
    const env = byName(workerEnvironment({ ...envInputs, zeebe: { ...envInputs.zeebe, auth: { strategy: "BASIC", secretName: "zeebe" } } }));
    assert.deepEqual(env.get("CAMUNDA_AUTH_STRATEGY"), { name: "CAMUNDA_AUTH_STRATEGY", value: "BASIC" });
    assert.deepEqual(env.get("CAMUNDA_BASIC_AUTH_PASSWORD"), {
      name: "CAMUNDA_BASIC_AUTH_PASSWORD",
      valueFrom: { secretKeyRef: { name: "zeebe", key: "CAMUNDA_BASIC_AUTH_PASSWORD" } },
    });
  });

  it("leaves out Kafka when event streaming is off", () => {
    const names = workerEnvironment({ ...envInputs, events: { ...envInputs.events, enabled: false } }).map((e) => e.name);
    assert.ok(!names.some((n) => n.startsWith("KAFKA_")));
  });
});

describe("Knative worker spec", () => {
  const spec = knativeWorkerSpec({
    image: "worker:1.0.0",
    serviceAccountName: "sa",
    env: workerEnvironment(envInputs),
    resources: { cpu: "1", memory: "1Gi" },
    workflowsConfigMap: "wf-abc",
    autoscaling: { minScale: 1, maxScale: 5, cpuTargetPercent: 70 },
  });
  const container = spec.template.spec.containers[0];

  it("has one container with one port, and startup, liveness and readiness probes", () => {
    assert.equal(spec.template.spec.containers.length, 1);
    assert.deepEqual(container.ports, [{ name: "http1", containerPort: WORKER_PORT }]);
    assert.equal(container.startupProbe.httpGet.path, "/actuator/health");
    assert.ok(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold >= 120, "time to boot before liveness counts");
    assert.equal(container.livenessProbe.httpGet.path, "/actuator/health");
    assert.equal(container.readinessProbe.httpGet.path, "/actuator/ready");
  });

  it("scales on CPU with Knative's HPA class, since a pull worker receives no requests", () => {
    assert.deepEqual(spec.template.metadata.annotations, {
      "autoscaling.knative.dev/class": "hpa.autoscaling.knative.dev",
      "autoscaling.knative.dev/metric": "cpu",
      "autoscaling.knative.dev/target": "70",
      "autoscaling.knative.dev/min-scale": "1",
      "autoscaling.knative.dev/max-scale": "5",
    });
  });

  it("sends all traffic to the latest revision: there is no split to configure", () => {
    assert.deepEqual(spec.traffic, [{ latestRevision: true, percent: 100 }]);
  });

  it("refuses min-scale 0 and a CPU target outside 1..100", () => {
    const inputs = { image: "w:1", serviceAccountName: "sa", env: [], resources: { cpu: "1", memory: "1Gi" }, workflowsConfigMap: "wf" };
    assert.throws(() => knativeWorkerSpec({ ...inputs, autoscaling: { minScale: 0, maxScale: 1, cpuTargetPercent: 70 } }), /minScale must be at least 1/);
    assert.throws(
      () => knativeWorkerSpec({ ...inputs, autoscaling: { minScale: 1, maxScale: 1, cpuTargetPercent: 0 } }),
      /cpuTargetPercent must be from 1 to 100/,
    );
  });

  it("hardens the container", () => {
    assert.deepEqual(container.securityContext.capabilities, { drop: ["ALL"] });
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(container.resources, { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } });
  });
});

describe("the worker contract", () => {
  it("the worker and the components name topics alike (the image does not depend on the library)", async () => {
    const worker = await import("../workers/src/events/bus");
    assert.deepEqual(worker.topicNames("shop.prod"), topicNames("shop.prod"));
  });
});
