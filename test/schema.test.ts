import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { RenderedResource, RenderResult } from "../render/types";
import { isKubernetesObject, writeRender } from "../render/write";
import {
  autoscalingProblems,
  containerAndPortProblems,
  knativeServiceProblems,
  reservedEnvProblems,
  timeoutProblems,
  trafficProblems,
} from "./support/knative-rules";
import { listFiles } from "./support/files";
import { RENDER_CASES, renderCase } from "./support/render-cases";
import { metadataProblems, NoSchemaError, validateAgainstSchema } from "./support/schemas";
import { crdSchemas, toJsonSchema } from "./support/crd-schemas";

type Obj = Record<string, unknown>;

/** The Kubernetes objects of a render: custom `kubernetes:` resources except Helm releases; object = inputs. */
function kubernetesObjects(result: RenderResult): Obj[] {
  return kubernetesResources(result).map((r) => r.inputs);
}

function kubernetesResources(result: RenderResult): RenderedResource[] {
  return result.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release");
}

/** `kubernetes:core/v1:Secret` → `v1 Secret`; `kubernetes:serving.knative.dev/v1:Service` → `serving.knative.dev/v1 Service`. */
function kindOfType(type: string): string {
  const [, groupVersion, kind] = type.split(":");
  return `${groupVersion.replace(/^core\//, "")} ${kind}`;
}

const kindOf = (o: Obj) => `${String(o.apiVersion)} ${String(o.kind)}`;
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Kinds each case must render: a schema run over the wrong set of objects must not pass quietly. */
const EXPECTED_KINDS: Record<string, string[]> = {
  dev: [
    "v1 Namespace",
    "v1 Secret",
    "v1 ConfigMap",
    "v1 ServiceAccount",
    "rbac.authorization.k8s.io/v1 Role",
    "rbac.authorization.k8s.io/v1 RoleBinding",
    "apps/v1 StatefulSet",
    "apps/v1 Deployment",
    "v1 Service",
    "serving.knative.dev/v1 Service",
    "kafka.strimzi.io/v1 KafkaTopic",
    "monitoring.coreos.com/v1 ServiceMonitor",
    "monitoring.coreos.com/v1 PrometheusRule",
  ],
  prod: [
    "v1 Secret",
    "serving.knative.dev/v1 Service",
    "networking.istio.io/v1 Gateway",
    "networking.istio.io/v1 VirtualService",
    "security.istio.io/v1 RequestAuthentication",
    "security.istio.io/v1 AuthorizationPolicy",
    "monitoring.coreos.com/v1 ServiceMonitor",
  ],
  "dev + platform-multi": ["serving.knative.dev/v1 Service", "kafka.strimzi.io/v1 KafkaTopic"],
  "dev + payments-remote": [
    "networking.istio.io/v1 Gateway",
    "networking.istio.io/v1 VirtualService",
    "security.istio.io/v1 RequestAuthentication",
    "security.istio.io/v1 AuthorizationPolicy",
    "rbac.authorization.k8s.io/v1 Role",
  ],
  "dev + payments-remote, discovery in all namespaces": ["rbac.authorization.k8s.io/v1 ClusterRole", "rbac.authorization.k8s.io/v1 ClusterRoleBinding"],
  "dev, OIDC, Strimzi before 1.0, kube-prometheus-stack labels": [
    "serving.knative.dev/v1 Service",
    "kafka.strimzi.io/v1beta2 KafkaTopic",
    "monitoring.coreos.com/v1 ServiceMonitor",
  ],
  "dev + enterprise-workflows, repositories on GitHub": [
    "serving.knative.dev/v1 Service",
    "kafka.strimzi.io/v1 KafkaTopic",
    "networking.istio.io/v1 VirtualService",
    "security.istio.io/v1 AuthorizationPolicy",
  ],
};

describe("rendered Kubernetes objects: schemas and Knative rules", function () {
  this.timeout(120_000);
  const tempDirs: string[] = [];
  after(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  for (const c of RENDER_CASES) {
    describe(c.label, () => {
      let result: RenderResult;
      let objects: Obj[];
      before(async () => {
        result = await renderCase(c);
        objects = kubernetesObjects(result);
      });

      it("counts as Kubernetes objects exactly what the render writes as manifests, each of the kind its type names", () => {
        assert.deepEqual(kubernetesResources(result), result.resources.filter(isKubernetesObject));
        for (const r of kubernetesResources(result)) assert.equal(kindOf(r.inputs), kindOfType(r.type), `${r.type} ${r.name}`);
      });

      it("renders the kinds this stack needs", () => {
        const kinds = new Set(objects.map(kindOf));
        for (const kind of EXPECTED_KINDS[c.label]) assert.ok(kinds.has(kind), `${c.label}: no ${kind} rendered; rendered: ${[...kinds].join(", ")}`);
      });

      it("validates every Kubernetes object against its schema; an object without a model fails", () => {
        assert.ok(objects.length > 0, "the render produced no Kubernetes objects");
        const failures: string[] = [];
        const perKind = new Map<string, number>();
        for (const object of objects) {
          const where = `${kindOf(object)} ${String((object.metadata as Obj | undefined)?.name)}`;
          try {
            validateAgainstSchema(object);
            perKind.set(kindOf(object), (perKind.get(kindOf(object)) ?? 0) + 1);
          } catch (error) {
            failures.push(`${where}: ${(error as Error).message}`);
          }
        }
        assert.deepEqual(failures, [], `objects failing their schema:\n${failures.join("\n")}`);
        const validated = [...perKind.values()].reduce((a, b) => a + b, 0);
        assert.equal(validated, objects.length);
        const summary = [...perKind]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([kind, n]) => `${kind.replace(/^v1 /, "")} ${n}`)
          .join(", ");
        console.log(`      ${c.label}: ${validated} objects validated (${summary})`);
      });

      it("has valid names, namespaces and labels", () => {
        const problems = objects.flatMap((o) => metadataProblems(o).map((p) => `${kindOf(o)} ${String((o.metadata as Obj).name)}: ${p}`));
        assert.deepEqual(problems, []);
      });

      it("obeys the Knative rules the schema does not check", () => {
        const services = objects.filter((o) => o.apiVersion === "serving.knative.dev/v1" && o.kind === "Service");
        assert.ok(services.length > 0, "no Knative Service rendered");
        for (const service of services) assert.deepEqual(knativeServiceProblems(service), [], `Knative Service ${String((service.metadata as Obj).name)}`);
      });

      it("writes manifests that parse back to the same objects; Secrets become ExternalSecrets of the same name", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "schema-render-"));
        tempDirs.push(dir);
        writeRender(result, dir);
        const files = listFiles(path.join(dir, "manifests")).filter((f) => f.endsWith(".yaml") && path.basename(f) !== "kustomization.yaml");
        const parsed = files.map((f) => parseYaml(fs.readFileSync(path.join(dir, "manifests", f), "utf8")) as Obj);
        const key = (o: Obj) => `${kindOf(o)} ${String((o.metadata as Obj).namespace ?? "")}/${String((o.metadata as Obj).name)}`;
        const byKey = new Map(parsed.map((o) => [key(o), o]));
        assert.equal(byKey.size, parsed.length, "manifests hold distinct objects (two objects with one file name would overwrite each other)");
        for (const object of objects) {
          if (kindOf(object) === "v1 Secret") {
            const meta = object.metadata as Obj;
            assert.ok(
              byKey.has(`external-secrets.io/v1 ExternalSecret ${String(meta.namespace)}/${String(meta.name)}`),
              `no ExternalSecret for ${key(object)}`,
            );
            assert.ok(!byKey.has(key(object)), `${key(object)} written as a Secret`);
            continue;
          }
          const written = byKey.get(key(object));
          assert.ok(written, `no manifest for ${key(object)}`);
          // JSON round trip: what a YAML file can hold (no undefined fields).
          assert.deepEqual(written, clone(object), `manifest of ${key(object)} differs from the rendered object`);
          assert.deepEqual(Object.keys(written).slice(0, 3), ["apiVersion", "kind", "metadata"]);
        }
      });
    });
  }

  describe("rendered objects broken on purpose", () => {
    it("fail their schema and the Knative rules", async () => {
      const objects = kubernetesObjects(await renderCase(RENDER_CASES[0]));
      const deployment = clone(objects.find((o) => o.kind === "Deployment")!);
      (deployment.spec as Obj).replicas = "1";
      assert.throws(() => validateAgainstSchema(deployment), /spec\/replicas/);
      const topic = clone(objects.find((o) => o.kind === "KafkaTopic")!);
      (topic.spec as Obj).partitions = 0;
      assert.throws(() => validateAgainstSchema(topic), /spec\/partitions/);
      const service = clone(objects.find((o) => o.apiVersion === "serving.knative.dev/v1")!) as {
        spec: { template: { spec: { containers: Array<{ ports: Obj[] }> } } };
      };
      service.spec.template.spec.containers[0].ports.push({ name: "metrics", containerPort: 9600 });
      assert.doesNotThrow(() => validateAgainstSchema(service as unknown as Obj), "a second port is schema-valid: only the Knative rules catch it");
      assert.match(knativeServiceProblems(service as unknown as Obj).join(), /exactly one port/);
    });
  });

  describe("labels for kube-prometheus-stack", () => {
    it("reach the ServiceMonitor and the PrometheusRule", async () => {
      const c = RENDER_CASES.find((r) => r.label.startsWith("dev, OIDC"))!;
      const monitoring = kubernetesObjects(await renderCase(c)).filter((o) => o.apiVersion === "monitoring.coreos.com/v1");
      assert.deepEqual(monitoring.map((o) => o.kind).sort(), ["PrometheusRule", "ServiceMonitor"]);
      for (const object of monitoring) assert.equal(((object.metadata as Obj).labels as Record<string, string>).release, "kube-prometheus-stack");
    });
  });
});

describe("schema validation helpers", () => {
  const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns" }, data: { key: "value" } };

  it("rejects an object no model covers instead of skipping it", () => {
    assert.throws(() => validateAgainstSchema({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }), NoSchemaError);
    assert.throws(() => validateAgainstSchema({ apiVersion: "v1", kind: "NoSuchKind", metadata: { name: "w" } }), NoSchemaError);
    // A known group with a kind of another version: no silent fallback either.
    assert.throws(() => validateAgainstSchema({ apiVersion: "kafka.strimzi.io/v1", kind: "KafkaUser", metadata: { name: "t" } }), NoSchemaError);
  });

  it("reports the failing path of an invalid core object", () => {
    validateAgainstSchema(configMap);
    assert.throws(() => validateAgainstSchema({ ...configMap, data: { key: 3 } }), /data\/key/);
    assert.throws(() => validateAgainstSchema({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: { replicas: "2" } }), /spec/);
  });

  it("validates Istio v1 objects with Istio's own v1 CRD schema", () => {
    const gateway = {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { name: "g" },
      spec: {
        selector: { istio: "ingressgateway" },
        servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["a.example.com"], tls: { mode: "SIMPLE" } }],
      },
    };
    assert.match(validateAgainstSchema(gateway), /istio-1\.29\.2\/gateways\.networking\.istio\.io\.yaml \(v1\)/);
    const badMode = clone(gateway);
    (badMode.spec.servers[0].tls as Obj).mode = "SOMETIMES";
    assert.throws(() => validateAgainstSchema(badMode), /tls\/mode/);
    const badVirtualService = { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "v" }, spec: { hosts: "a.example.com" } };
    assert.throws(() => validateAgainstSchema(badVirtualService), /hosts/);
    const misspelt = {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "v" },
      spec: { hosts: ["a"], http: [{ rewrite: { authorityy: "x" } }] },
    };
    assert.throws(() => validateAgainstSchema(misspelt), /additional properties "authorityy"/, "a field the API server would prune is an error");
  });

  it("validates Knative and prometheus-operator objects with their upstream CRDs", () => {
    assert.throws(
      () =>
        validateAgainstSchema({
          apiVersion: "serving.knative.dev/v1",
          kind: "Service",
          metadata: { name: "s" },
          spec: { template: { spec: { containers: [{ ports: [{ containerPort: "8080" }] }] } } },
        }),
      /containerPort/,
    );
    assert.throws(
      () =>
        validateAgainstSchema({
          apiVersion: "serving.knative.dev/v1",
          kind: "Service",
          metadata: { name: "s" },
          spec: { template: { spec: { containers: [{ image: "i", startupProbe: { httpGet: { path: "/" }, periodSecond: 5 } }] } } },
        }),
      /periodSecond/,
    );
    assert.throws(
      () => validateAgainstSchema({ apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", metadata: { name: "m" }, spec: { endpoints: [] } }),
      /selector/,
    );
    assert.throws(
      () =>
        validateAgainstSchema({
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PrometheusRule",
          metadata: { name: "r" },
          spec: { groups: [{ name: "g", rules: [{ alert: "A" }] }] },
        }),
      /expr/,
    );
  });

  it("validates Strimzi KafkaTopics by the upstream CRD: v1 from 1.2.0, v1beta2 from 0.51.0", () => {
    const topic = {
      apiVersion: "kafka.strimzi.io/v1",
      kind: "KafkaTopic",
      metadata: { name: "t", labels: { "strimzi.io/cluster": "c" } },
      spec: { partitions: 3, replicas: 1, topicName: "a.b", config: { "retention.ms": 1000 } },
    };
    assert.match(validateAgainstSchema(topic), /strimzi-1\.2\.0\/043-Crd-kafkatopic\.yaml \(v1\)/);
    assert.match(validateAgainstSchema({ ...topic, apiVersion: "kafka.strimzi.io/v1beta2" }), /strimzi-0\.51\.0\/043-Crd-kafkatopic\.yaml \(v1beta2\)/);
    assert.throws(() => validateAgainstSchema({ ...topic, spec: { ...topic.spec, partitions: 0 } }), /spec\/partitions/);
    assert.throws(() => validateAgainstSchema({ ...topic, spec: { ...topic.spec, replicas: 40000 } }), /spec\/replicas/);
    assert.throws(() => validateAgainstSchema({ ...topic, spec: { ...topic.spec, partition: 3 } }), /"partition"/);
    assert.throws(() => validateAgainstSchema({ ...topic, metadata: { ...topic.metadata, annotations: { a: 1 } } }), /annotations/);
    assert.throws(() => validateAgainstSchema({ ...topic, apiVersion: "kafka.strimzi.io/v1beta3" }), NoSchemaError);
  });

  it("reads every upstream CRD, and makes the API server's pruning an error", () => {
    const keys = [...crdSchemas().keys()];
    for (const key of [
      "kafka.strimzi.io/v1 KafkaTopic",
      "serving.knative.dev/v1 Service",
      "networking.istio.io/v1 Gateway",
      "networking.istio.io/v1 VirtualService",
      "security.istio.io/v1 RequestAuthentication",
      "security.istio.io/v1 AuthorizationPolicy",
      "monitoring.coreos.com/v1 ServiceMonitor",
      "monitoring.coreos.com/v1 PrometheusRule",
    ]) {
      assert.ok(keys.includes(key), `${key} not among ${keys.join(", ")}`);
    }
    assert.deepEqual(toJsonSchema({ type: "object", properties: { a: { type: "string" } } }), {
      type: "object",
      properties: { a: { type: "string" } },
      additionalProperties: false,
    });
    assert.deepEqual(toJsonSchema({ type: "object", "x-kubernetes-preserve-unknown-fields": true, properties: { a: { type: "string" } } }), {
      type: "object",
      properties: { a: { type: "string" } },
    });
    assert.deepEqual(toJsonSchema({ "x-kubernetes-int-or-string": true, type: "string" }), { anyOf: [{ type: "integer" }, { type: "string" }] });
  });

  it("checks names, namespaces and labels", () => {
    assert.deepEqual(metadataProblems(configMap), []);
    assert.equal(metadataProblems({ ...configMap, metadata: { name: "Bad_Name" } }).length, 1);
    assert.equal(metadataProblems({ ...configMap, metadata: { name: "a", namespace: "a.b" } }).length, 1);
    assert.equal(metadataProblems({ ...configMap, metadata: { name: "a", labels: { "x/y": "v".repeat(64) } } }).length, 1);
    assert.equal(metadataProblems({ ...configMap, metadata: { name: "a", labels: { "-bad": "v" } } }).length, 1);
    assert.equal(metadataProblems({ apiVersion: "v1", kind: "Service", metadata: { name: "1svc" } }).length, 1);
    assert.equal(metadataProblems({ apiVersion: "v1", kind: "Service", metadata: {} }).length, 1);
  });
});

describe("Knative rules", () => {
  /** A valid Knative Service; each test breaks one rule. */
  const valid = () => ({
    apiVersion: "serving.knative.dev/v1",
    kind: "Service",
    metadata: { name: "w", annotations: {} as Obj },
    spec: {
      template: {
        metadata: {
          annotations: { "autoscaling.knative.dev/min-scale": "1", "autoscaling.knative.dev/max-scale": "3", "autoscaling.knative.dev/target": "50" } as Obj,
        },
        spec: {
          timeoutSeconds: 300 as unknown,
          containers: [{ name: "w", image: "i", ports: [{ name: "http1", containerPort: 8080 }] as Obj[], env: [{ name: "A", value: "1" }] as Obj[] }],
        },
      },
      traffic: [
        { revisionName: "w-00001", percent: 80, tag: "blue" },
        { latestRevision: true, percent: 20, tag: "green" },
      ] as Obj[],
    },
  });

  it("accepts a valid Service, with or without traffic", () => {
    assert.deepEqual(knativeServiceProblems(valid()), []);
    const { traffic: _traffic, ...spec } = valid().spec;
    assert.deepEqual(knativeServiceProblems({ ...valid(), spec }), []);
    for (const name of [undefined, "", "h2c"]) {
      const s = valid();
      s.spec.template.spec.containers[0].ports = [{ name, containerPort: 8080 }];
      assert.deepEqual(containerAndPortProblems(s), [], `port name ${String(name)}`);
    }
  });

  it("needs exactly one container", () => {
    const none = valid();
    none.spec.template.spec.containers = [];
    assert.match(containerAndPortProblems(none).join(), /exactly one container/);
    const two = valid();
    two.spec.template.spec.containers.push(clone(two.spec.template.spec.containers[0]));
    assert.match(containerAndPortProblems(two).join(), /found 2/);
  });

  it("needs exactly one port, named empty, http1 or h2c", () => {
    const twoPorts = valid();
    twoPorts.spec.template.spec.containers[0].ports.push({ name: "metrics", containerPort: 9090 });
    assert.match(containerAndPortProblems(twoPorts).join(), /exactly one port/);
    const noPort = valid();
    noPort.spec.template.spec.containers[0].ports = [];
    assert.match(containerAndPortProblems(noPort).join(), /found 0/);
    const badName = valid();
    badName.spec.template.spec.containers[0].ports = [{ name: "http", containerPort: 8080 }];
    assert.match(containerAndPortProblems(badName).join(), /ports\[0\]\.name/);
  });

  it("rejects reserved environment names", () => {
    for (const name of ["PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"]) {
      const s = valid();
      s.spec.template.spec.containers[0].env.push({ name, value: "x" });
      assert.match(reservedEnvProblems(s).join(), new RegExp(`env\\[1\\]\\.name: ${name}`));
    }
  });

  it("limits timeoutSeconds to 600", () => {
    const s = valid();
    s.spec.template.spec.timeoutSeconds = 600;
    assert.deepEqual(timeoutProblems(s), []);
    s.spec.template.spec.timeoutSeconds = 601;
    assert.match(timeoutProblems(s).join(), /timeoutSeconds: 601/);
    s.spec.template.spec.timeoutSeconds = "300";
    assert.equal(timeoutProblems(s).length, 1);
  });

  it("wants autoscaling annotations as strings on the revision template", () => {
    const numeric = valid();
    numeric.spec.template.metadata.annotations["autoscaling.knative.dev/max-scale"] = 3;
    assert.match(autoscalingProblems(numeric).join(), /max-scale: annotation values must be strings/);
    const onService = valid();
    onService.metadata.annotations["autoscaling.knative.dev/min-scale"] = "1";
    assert.match(autoscalingProblems(onService).join(), /^metadata\.annotations\.autoscaling/);
    const inverted = valid();
    inverted.spec.template.metadata.annotations["autoscaling.knative.dev/min-scale"] = "5";
    assert.match(autoscalingProblems(inverted).join(), /min-scale 5 exceeds max-scale 3/);
    const notNumber = valid();
    notNumber.spec.template.metadata.annotations["autoscaling.knative.dev/target"] = "fifty";
    assert.match(autoscalingProblems(notNumber).join(), /target: "fifty"/);
  });

  it("wants a metric the autoscaling class knows: concurrency or rps for the KPA, anything else for the HPA", () => {
    const cpuOnKpa = valid();
    cpuOnKpa.spec.template.metadata.annotations["autoscaling.knative.dev/metric"] = "cpu";
    assert.match(autoscalingProblems(cpuOnKpa).join(), /metric: "cpu" is not a metric of kpa\.autoscaling\.knative\.dev/);
    cpuOnKpa.spec.template.metadata.annotations["autoscaling.knative.dev/class"] = "hpa.autoscaling.knative.dev";
    assert.deepEqual(autoscalingProblems(cpuOnKpa), []);
    cpuOnKpa.spec.template.metadata.annotations["autoscaling.knative.dev/class"] = "hpa2.autoscaling.knative.dev";
    assert.match(autoscalingProblems(cpuOnKpa).join(), /class: "hpa2\.autoscaling\.knative\.dev" is neither/);
  });

  it("wants traffic percents summing to 100", () => {
    const s = valid();
    s.spec.traffic[1].percent = 30;
    assert.match(trafficProblems(s).join(), /sum to 110/);
    s.spec.traffic = [];
    assert.equal(trafficProblems(s).length, 1);
  });

  it("wants unique tags", () => {
    const s = valid();
    s.spec.traffic[1].tag = "blue";
    assert.match(trafficProblems(s).join(), /"blue" is used twice/);
  });

  it("wants exactly one of revisionName and latestRevision per entry", () => {
    const both = valid();
    both.spec.traffic[0].latestRevision = true;
    assert.match(trafficProblems(both).join(), /traffic\[0\].*has both/);
    const neither = valid();
    delete neither.spec.traffic[1].latestRevision;
    assert.match(trafficProblems(neither).join(), /traffic\[1\].*has neither/);
    const latestFalse = valid();
    latestFalse.spec.traffic[1].latestRevision = false;
    assert.match(trafficProblems(latestFalse).join(), /has neither/);
  });
});
