import assert from "assert";
import { noPlaintextCredentials } from "../policies/no-plaintext-credentials";
import { pinnedImages } from "../policies/pinned-images";
import { workerContainerHardening } from "../policies/worker-container-hardening";
import { knativeWorkerClusterLocal } from "../policies/knative-worker-cluster-local";
import { KNATIVE, messages, resource, workerService } from "./support";

const ORCH = "camunda-orchestrator:index:CamundaOrchestrator";
const container = (patch: Record<string, unknown>) => workerService({ container: patch });

describe("no-plaintext-credentials", () => {
  it("passes a worker whose secrets come by secretKeyRef", async () => {
    assert.deepStrictEqual(await messages(noPlaintextCredentials, [resource(KNATIVE, "w", workerService())]), []);
  });

  it("reports a secret-named env value and an inlined Pulumi secret", async () => {
    const svc = workerService();
    svc.spec.template.spec.containers[0].env.push({ name: "DB_PASSWORD", value: "hunter2" }, { name: "REDIS_URL", value: "[secret]" });
    const found = await messages(noPlaintextCredentials, [resource(KNATIVE, "w", svc)]);
    assert.strictEqual(found.length, 2);
    assert.match(found[0], /DB_PASSWORD .*name says/);
    assert.match(found[1], /REDIS_URL .*Pulumi secret/);
  });

  it("checks the orchestrator's environment, with allowedNames from config", async () => {
    const orch = resource(ORCH, "checkout", { name: "checkout", environment: { LOG_LEVEL: "info", STRIPE_API_KEY: "sk_live_x", CORRELATION_KEY: "orderId" } });
    const found = await messages(noPlaintextCredentials, [orch], { "no-plaintext-credentials": { allowedNames: ["CORRELATION_KEY"] } });
    assert.deepStrictEqual(found.length, 1);
    assert.match(found[0], /STRIPE_API_KEY/);
  });

  it("reads ConfigMap data: BPMN passes, a connection string with a password fails", async () => {
    const bpmn = '<bpmn:definitions xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"><bpmn:process id="saga"/></bpmn:definitions>';
    const good = resource("kubernetes:core/v1:ConfigMap", "models", { data: { "saga.bpmn": bpmn } });
    const bad = resource("kubernetes:core/v1:ConfigMap", "cfg", {
      data: { "application.properties": "db.url=jdbc:postgresql://x\nkafka=kafka://svc:Pa55word@k:9092" },
    });
    assert.deepStrictEqual(await messages(noPlaintextCredentials, [good]), []);
    assert.match((await messages(noPlaintextCredentials, [bad]))[0], /application\.properties .*user:password@/);
  });

  it("leaves Secrets alone", async () => {
    const secret = resource("kubernetes:core/v1:Secret", "s", { stringData: { password: "[secret]" } });
    assert.deepStrictEqual(await messages(noPlaintextCredentials, [secret]), []);
  });
});

describe("worker-container-hardening", () => {
  it("passes a hardened worker", async () => {
    assert.deepStrictEqual(await messages(workerContainerHardening, [resource(KNATIVE, "w", workerService())]), []);
  });

  it("lists every missing setting of a worker container", async () => {
    const svc = container({ resources: { requests: { cpu: "500m" } }, securityContext: { runAsUser: 0, capabilities: { drop: ["NET_RAW"] } } });
    const [msg, ...rest] = await messages(workerContainerHardening, [resource(KNATIVE, "w", svc)]);
    assert.strictEqual(rest.length, 0);
    for (const gap of ["requests.memory", "limits.cpu", "limits.memory", "non-root", "allowPrivilegeEscalation", "readOnlyRootFilesystem", "drop"]) {
      assert.ok(msg.includes(gap), `${gap} in ${msg}`);
    }
    assert.ok(!msg.includes("requests.cpu"), msg);
  });

  it("accepts a pod-level non-root user and ignores non-worker workloads", async () => {
    const svc = container({ securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } } });
    (svc.spec.template.spec as any).securityContext = { runAsNonRoot: true };
    assert.deepStrictEqual(await messages(workerContainerHardening, [resource(KNATIVE, "w", svc)]), []);
    const redis = resource("kubernetes:apps/v1:StatefulSet", "redis", {
      metadata: { labels: { "app.kubernetes.io/component": "cache" } },
      spec: { template: { spec: { containers: [{ name: "redis", image: "redis:7.4.1" }] } } },
    });
    assert.deepStrictEqual(await messages(workerContainerHardening, [redis]), []);
  });

  it("treats a Deployment labelled as a worker as a worker", async () => {
    const dep = resource("kubernetes:apps/v1:Deployment", "w", {
      metadata: { labels: { "app.kubernetes.io/component": "worker" } },
      spec: { template: { spec: { containers: [{ name: "worker", image: "w:1" }] } } },
    });
    assert.strictEqual((await messages(workerContainerHardening, [dep])).length, 1);
  });
});

describe("pinned-images", () => {
  const deployment = (image: string) =>
    resource("kubernetes:apps/v1:Deployment", "redis", { spec: { template: { spec: { containers: [{ name: "redis", image }] } } } });

  it("passes explicit tags and digests, registry ports included", async () => {
    for (const image of ["redis:7.4.1", "registry.local:5000/acme/worker:1.2.3", `ghcr.io/acme/w@sha256:${"a".repeat(64)}`]) {
      assert.deepStrictEqual(await messages(pinnedImages, [deployment(image)]), [], image);
    }
  });

  it("reports latest, missing tags and (when required) missing digests", async () => {
    assert.match((await messages(pinnedImages, [deployment("redis:latest")]))[0], /latest tag/);
    assert.match((await messages(pinnedImages, [deployment("registry.local:5000/acme/worker")]))[0], /no tag/);
    const strict = { "pinned-images": { requireDigest: true } };
    assert.match((await messages(pinnedImages, [deployment("redis:7.4.1")], strict))[0], /no sha256 digest/);
  });

  it("checks the Knative worker and CronJobs too", async () => {
    assert.strictEqual((await messages(pinnedImages, [resource(KNATIVE, "w", container({ image: "acme/worker:latest" }))])).length, 1);
    const cron = resource("kubernetes:batch/v1:CronJob", "c", {
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "c", image: "busybox" }] } } } } },
    });
    assert.strictEqual((await messages(pinnedImages, [cron])).length, 1);
  });
});

describe("knative-worker-cluster-local", () => {
  it("passes a cluster-local worker and a deliberately public one", async () => {
    assert.deepStrictEqual(await messages(knativeWorkerClusterLocal, [resource(KNATIVE, "w", workerService())]), []);
    const pub = workerService({ labels: { "networking.knative.dev/visibility": "" }, annotations: { "orchestration.platform/expose": "public" } });
    assert.deepStrictEqual(await messages(knativeWorkerClusterLocal, [resource(KNATIVE, "w", pub)]), []);
  });

  it("reports a worker exposed without opting in", async () => {
    const svc = workerService({ labels: { "networking.knative.dev/visibility": "" } });
    assert.match((await messages(knativeWorkerClusterLocal, [resource(KNATIVE, "w", svc)]))[0], /publicly reachable/);
  });
});
