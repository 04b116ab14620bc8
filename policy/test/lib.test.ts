// The helpers every policy reads resources with: Kubernetes types, pod specs, labels, Kafka topics, numbers.
import assert from "assert";
import { numberSetting, topicOf } from "../lib/kafka";
import { annotationsOf, containerLabel, isWorker, kubeType, labelsOf, podSpecOf } from "../lib/k8s";
import { stackOf } from "../lib/settings";
import { KAFKA_TOPIC, KNATIVE_SERVICE } from "../lib/types";

const STRIMZI_TOPIC = "kubernetes:kafka.strimzi.io/v1beta2:KafkaTopic";

describe("policy helpers", () => {
  it("splits Kubernetes types into group and kind, core included, and nothing else", () => {
    assert.deepStrictEqual(kubeType("kubernetes:apps/v1:Deployment"), { group: "apps", kind: "Deployment" });
    assert.deepStrictEqual(kubeType("kubernetes:core/v1:ConfigMap"), { group: "core", kind: "ConfigMap" });
    assert.deepStrictEqual(kubeType("kubernetes:v1:Namespace"), { group: "core", kind: "Namespace" });
    assert.deepStrictEqual(kubeType("kubernetes:rbac.authorization.k8s.io/v1:Role"), { group: "rbac.authorization.k8s.io", kind: "Role" });
    for (const other of ["kafka:index/topic:Topic", "xkubernetes:apps/v1:Deployment", "kubernetes:apps/v1:Deployment:x", "kubernetes:apps/v1"]) {
      assert.strictEqual(kubeType(other), undefined, other);
    }
  });

  it("finds a pod spec only where the workload keeps one, as an object", () => {
    const pod = { containers: [{ name: "w" }] };
    assert.strictEqual(podSpecOf("kubernetes:batch/v1:CronJob", { spec: { jobTemplate: { spec: { template: { spec: pod } } } } }), pod);
    assert.strictEqual(podSpecOf("kubernetes:core/v1:Pod", { spec: pod }), pod);
    assert.strictEqual(podSpecOf(KNATIVE_SERVICE, { spec: { template: { spec: "not an object" } } }), undefined);
    assert.strictEqual(podSpecOf(KNATIVE_SERVICE, { spec: { template: { spec: null } } }), undefined);
    assert.strictEqual(podSpecOf("kubernetes:core/v1:ConfigMap", { spec: pod }), undefined);
  });

  it("reads labels and annotations of resources without metadata as empty", () => {
    assert.deepStrictEqual([labelsOf(undefined), annotationsOf(undefined), labelsOf({}), annotationsOf({ metadata: {} })], [{}, {}, {}, {}]);
    assert.deepStrictEqual(annotationsOf({ metadata: { annotations: { a: "1" } } }), { a: "1" });
  });

  it("takes the Knative Service and workloads labelled worker for the worker, never objects without pods", () => {
    const labelled = { metadata: { labels: { "app.kubernetes.io/component": "worker" } }, spec: { template: { spec: { containers: [] } } } };
    assert.strictEqual(isWorker(KNATIVE_SERVICE, { spec: { template: { spec: { containers: [] } } } }), true);
    assert.strictEqual(isWorker("kubernetes:apps/v1:Deployment", labelled), true);
    assert.strictEqual(isWorker("kubernetes:apps/v1:Deployment", { ...labelled, metadata: {} }), false);
    assert.strictEqual(isWorker("kubernetes:core/v1:ConfigMap", { ...labelled, spec: undefined }), false);
  });

  it("names a container in messages, or says it has no name", () => {
    assert.deepStrictEqual(
      [containerLabel({ name: "worker" }), containerLabel({ name: 7 }), containerLabel(undefined)],
      ['container "worker"', 'container "?"', 'container "?"'],
    );
  });

  it("reads a Kafka topic from either shape, and from neither when props are missing", () => {
    assert.deepStrictEqual(topicOf(KAFKA_TOPIC, { name: "a.b", replicationFactor: 3, config: { x: "1" } }), {
      name: "a.b",
      replicationFactor: 3,
      config: { x: "1" },
    });
    assert.deepStrictEqual(topicOf(KAFKA_TOPIC, undefined), { name: "", replicationFactor: undefined, config: {} });
    assert.deepStrictEqual(topicOf(STRIMZI_TOPIC, { metadata: { name: "k8s-name" }, spec: { topicName: "a.b", replicas: 3, config: { y: 2 } } }), {
      name: "a.b",
      replicationFactor: 3,
      config: { y: 2 },
    });
    assert.deepStrictEqual(topicOf(STRIMZI_TOPIC, { metadata: { name: "k8s-name" } }), { name: "k8s-name", replicationFactor: undefined, config: {} });
    assert.deepStrictEqual(topicOf(STRIMZI_TOPIC, undefined), { name: "", replicationFactor: undefined, config: {} });
    assert.strictEqual(topicOf("kubernetes:kafka.strimzi.io/v1beta2:Kafka", {}), undefined);
    assert.strictEqual(topicOf("kubernetes:other.io/v1:KafkaTopic", {}), undefined);
  });

  it("reads numbers given as numbers or decimal strings, nothing else", () => {
    assert.deepStrictEqual([3, "3", " 7 ", "-1"].map(numberSetting), [3, 3, 7, -1]);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, "3x", "x3", "", "1.5", null, undefined, {}])
      assert.strictEqual(numberSetting(bad), undefined, String(bad));
  });

  it("takes the stack from a URN", () => {
    assert.strictEqual(stackOf("urn:pulumi:prod::camunda-orchestrator::kafka:index/topic:Topic::t"), "prod");
    assert.strictEqual(stackOf("prod::x"), "");
  });
});
