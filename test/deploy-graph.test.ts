import { strict as assert } from "assert";
import * as kafka from "@pulumi/kafka";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CamundaOrchestrator, DiscoveryRbac, WorkflowModels } from "../components";
import { renderStack } from "../render/render";
import { RenderedResource } from "../render/types";
import { at, ofType, runProgram, single } from "./support/mock-program";

const KNATIVE = "kubernetes:serving.knative.dev/v1:Service";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const byName = (resources: RenderedResource[], name: string) => resources.find((r) => r.name === name)!;
type Env = Array<{ name: string; value?: string }>;

describe("what a first `pulumi up` needs: ordering, models, names, options", function () {
  this.timeout(120_000);

  it("starts the worker only after Zeebe, the database, Redis, the topics and its RBAC exist", async () => {
    const result = await renderStack({ stack: "dev" });
    const worker = single(result.resources, KNATIVE);
    const waitsFor = new Set(worker.dependsOn);
    for (const part of [
      "checkout-zeebe-release",
      "checkout-database-secret",
      "checkout-database-statefulset",
      "checkout-redis-secret",
      "checkout-topics-dead-letter",
      "checkout-discovery-rolebinding",
      "checkout-worker-rollout-rolebinding",
    ]) {
      assert.ok(waitsFor.has(byName(result.resources, part).urn), `the worker does not wait for ${part}; it waits for ${[...waitsFor].join(", ")}`);
    }
    // And the chart's pods find the worker's credentials Secret when they start.
    assert.ok(byName(result.resources, "checkout-zeebe-release").dependsOn?.includes(byName(result.resources, "checkout-zeebe-credentials").urn));
  });

  it("ships each orchestrator only the models it serves", async () => {
    const result = await renderStack({ stack: "dev", appFile: "examples/platform-multi.yaml" });
    const models = (component: string) =>
      Object.keys(
        at(
          single(
            result.resources.filter((r) => r.parent === `${component}-workflows`),
            CONFIG_MAP,
          ),
          "data",
        ),
      ).sort();
    // shipping: [retry], no streaming: compensation-saga needs compensate-* and publish-and-wait.
    assert.deepEqual(models("shipping"), ["parallel-orchestration.bpmn"]);
    assert.deepEqual(models("orders"), ["compensation-saga.bpmn", "parallel-orchestration.bpmn"]);
  });

  it("deploys only the top-level models of a directory, and refuses a directory with nothing servable", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "models-"));
    try {
      const xml = (type: string) =>
        `<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"><bpmn:process id="p"><bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="${type}"/></bpmn:extensionElements></bpmn:serviceTask></bpmn:process></bpmn:definitions>`;
      fs.writeFileSync(path.join(dir, "orders.bpmn"), xml("call-microservice-orders"));
      fs.writeFileSync(path.join(dir, "notify.bpmn"), xml("publish-and-wait"));
      fs.mkdirSync(path.join(dir, "examples"));
      fs.writeFileSync(path.join(dir, "examples", "seed.bpmn"), xml("call-microservice-seed"));
      const run = await runProgram(() => {
        const models = new WorkflowModels("w", {
          component: "shop",
          namespace: "ns",
          directory: dir,
          servedBy: { sagaPatterns: ["retry"], eventStreaming: false },
        });
        return { files: models.fileNames, skipped: models.skipped };
      });
      assert.deepEqual(run.outputs.files, ["orders.bpmn"]);
      assert.deepEqual(run.outputs.skipped, [
        { file: "notify.bpmn", reason: "task type publish-and-wait: event streaming is off (ENABLE_EVENT_STREAMING=false)" },
      ]);
      fs.rmSync(path.join(dir, "orders.bpmn"));
      assert.throws(
        () => new WorkflowModels("w", { component: "shop", namespace: "ns", directory: dir, servedBy: { sagaPatterns: ["retry"], eventStreaming: false } }),
        (error: Error) =>
          error instanceof pulumi.ResourceError &&
          /no model can be served with saga patterns \[retry\] and event streaming off: notify\.bpmn/.test(error.message),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("creates no topic and gives the worker no Kafka settings when event streaming is off", async () => {
    const result = await renderStack({ stack: "dev", appFile: "examples/platform-multi.yaml" });
    const shippingParts = result.resources.filter((r) => r.urn.includes("CamundaOrchestrator$") && r.name.startsWith("shipping-"));
    assert.ok(shippingParts.length > 0);
    assert.deepEqual(
      shippingParts.filter((r) => /KafkaTopic|kafka:index\/topic|EventTopics/.test(r.type)).map((r) => r.name),
      [],
    );
    const env = at(
      result.resources.find((r) => r.type === KNATIVE && r.parent === "shipping-worker")!,
      "spec.template.spec.containers.0.env",
    ) as Env;
    assert.deepEqual(
      env.filter((e) => e.name.startsWith("KAFKA_")),
      [],
    );
    assert.equal(
      ofType(
        result.resources.filter((r) => r.parent === "orders-topics"),
        "kubernetes:kafka.strimzi.io/v1:KafkaTopic",
      ).length,
      7,
    );
  });

  it("names cluster-scoped objects after namespace and component, so two stacks in one cluster do not collide", async () => {
    const names = async (namespace: string) => {
      const run = await runProgram(() => {
        new DiscoveryRbac("checkout-discovery", { component: "checkout", namespace, watchNamespaces: ["*"] });
        return {};
      });
      return [
        at(single(run.resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"), "metadata.name"),
        at(single(run.resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"), "metadata.name"),
      ];
    };
    assert.deepEqual(await names("shop-dev"), ["shop-dev-checkout-discovery", "shop-dev-checkout-discovery"]);
    assert.deepEqual(await names("shop-staging"), ["shop-staging-checkout-discovery", "shop-staging-checkout-discovery"]);
  });

  it("names the Roles in watched namespaces after the worker's namespace, so two stacks watching one namespace do not collide", async () => {
    const roles = async (namespace: string) => {
      const run = await runProgram(() => {
        new DiscoveryRbac("checkout-discovery", { component: "checkout", namespace, watchNamespaces: ["payments", "inventory"] });
        return {};
      });
      const named = (type: string) =>
        ofType(run.resources, type)
          .map((r) => `${at(r, "metadata.namespace")}/${at(r, "metadata.name")}`)
          .sort();
      return { roles: named("kubernetes:rbac.authorization.k8s.io/v1:Role"), bindings: named("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding") };
    };
    const dev = await roles("shop-dev");
    const staging = await roles("shop-staging");
    assert.deepEqual(dev.roles, ["inventory/shop-dev-checkout-discovery", "payments/shop-dev-checkout-discovery"]);
    assert.deepEqual(dev.bindings, dev.roles);
    assert.deepEqual(staging.roles, ["inventory/shop-staging-checkout-discovery", "payments/shop-staging-checkout-discovery"]);
  });

  it("labels the namespace as asked", async () => {
    const result = await renderStack({
      stack: "dev",
      config: { namespaceLabels: JSON.stringify({ "istio-injection": "enabled", "pod-security.kubernetes.io/enforce": "baseline" }) },
    });
    assert.deepEqual(at(single(result.resources, "kubernetes:core/v1:Namespace"), "metadata.labels"), {
      "istio-injection": "enabled",
      "pod-security.kubernetes.io/enforce": "baseline",
      "app.kubernetes.io/part-of": "camunda-orchestrator",
    });
  });

  it("uses the Kafka and PostgreSQL providers given in the resource options for every child", async () => {
    const run = await runProgram(() => {
      const kafkaProvider = new kafka.Provider("platform-kafka", { bootstrapServers: ["k:9093"] });
      const postgresProvider = new postgresql.Provider("platform-postgres", { host: "pg", username: "admin", password: "x" });
      new CamundaOrchestrator(
        "payments",
        {
          namespace: "pay",
          properties: { realtimePlatform: "pay-events", camundaMode: "remote" },
          settings: {
            saasClusterId: pulumi.output("c1"),
            saasRegion: pulumi.output("bru-2"),
            saasClientId: "client",
            saasClientSecret: pulumi.secret("s"),
            kafkaMode: "external",
            kafkaBootstrapServers: "k:9093",
            postgresMode: "external",
            postgresHost: pulumi.output("pg.internal"),
            postgresPort: pulumi.output(6432),
            postgresAdminPassword: pulumi.secret("pw"),
          },
        },
        { providers: { kafka: kafkaProvider, postgresql: postgresProvider } },
      );
      return {};
    });
    assert.deepEqual(
      ofType(run.resources, "pulumi:providers:kafka").map((r) => r.name),
      ["platform-kafka"],
      "no Kafka provider of its own",
    );
    assert.deepEqual(
      ofType(run.resources, "pulumi:providers:postgresql").map((r) => r.name),
      ["platform-postgres"],
      "no PostgreSQL provider of its own",
    );
    for (const topic of ofType(run.resources, "kafka:index/topic:Topic")) assert.match(topic.provider ?? "", /platform-kafka/);
    for (const type of ["postgresql:index/role:Role", "postgresql:index/database:Database", "postgresql:index/grant:Grant"])
      assert.match(single(run.resources, type).provider ?? "", /platform-postgres/);
    // Inputs from other stacks: host, port, cluster id and region reach what depends on them.
    const env = new Map((at(single(run.resources, KNATIVE), "spec.template.spec.containers.0.env") as Env).map((e) => [e.name, e.value]));
    assert.equal(env.get("ZEEBE_GRPC_ADDRESS"), "grpcs://c1.bru-2.zeebe.camunda.io:443");
  });
});
