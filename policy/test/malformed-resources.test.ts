// Policies run on what a program declares, which may be partial (a preview with unknown values) or written by
// hand: a missing field is a gap to report or to skip, never an exception that aborts the whole policy pack.
import assert from "assert";
import { policies } from "../policies/all";
import { runPolicies } from "../offline";
import { ORCHESTRATOR, REDIS_CACHE } from "../lib/types";
import { resource } from "./support";

const WORKER = { labels: { "app.kubernetes.io/component": "worker" } };

const TYPES = [
  "kubernetes:serving.knative.dev/v1:Service",
  "kubernetes:apps/v1:Deployment",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:batch/v1:CronJob",
  "kubernetes:core/v1:ConfigMap",
  "kubernetes:core/v1:Secret",
  "kubernetes:rbac.authorization.k8s.io/v1:Role",
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
  "kubernetes:networking.istio.io/v1:Gateway",
  "kubernetes:networking.istio.io/v1:VirtualService",
  "kubernetes:security.istio.io/v1:AuthorizationPolicy",
  "kubernetes:kafka.strimzi.io/v1beta2:KafkaTopic",
  "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
  "kubernetes:helm.sh/v3:Release",
  "kafka:index/topic:Topic",
  "postgresql:index/role:Role",
];

/** Every level of the usual nesting missing in turn, and lists holding empty entries. */
const SHAPES: Record<string, unknown>[] = [
  {},
  { metadata: {} },
  { metadata: WORKER },
  { metadata: WORKER, spec: {} },
  { metadata: WORKER, spec: { template: {} } },
  { metadata: WORKER, spec: { template: { metadata: {}, spec: {} } } },
  { metadata: WORKER, spec: { template: { spec: { containers: [{}], initContainers: [{}] } } } },
  { metadata: WORKER, spec: { template: { spec: { containers: [{ securityContext: {}, resources: {} }] } } } },
  { metadata: WORKER, spec: { jobTemplate: { spec: { template: { spec: { containers: [{}] } } } } } },
  { kind: "Service", metadata: WORKER, spec: { template: { metadata: {} } } },
  { rules: [{}], roleRef: {} },
  { aggregationRule: {}, rules: [] },
  { spec: { servers: [{}, { port: {} }, { port: { protocol: "HTTPS" }, tls: {} }] } },
  { spec: { http: [{}, { match: [{}, { uri: {} }] }], gateways: [] } },
  { spec: { rules: [{}, { from: [{}, { source: {} }] }] } },
  { spec: { groups: [{}, { rules: [{}] }] } },
  { spec: { config: {} } },
  { data: {} },
  { config: {} },
  { chart: "camunda-platform" },
  { chart: "camunda-platform", values: {} },
];

describe("every policy on partial resources", () => {
  it("reports or skips a missing field, never throws", async () => {
    for (const stack of ["dev", "prod"]) {
      const resources = TYPES.flatMap((type, t) => SHAPES.map((inputs, s) => resource(type, `r${t}-${s}`, inputs, { stack })));
      for (const [i, r] of resources.entries()) {
        await assert.doesNotReject(runPolicies(policies, [r]), `${r.type} ${JSON.stringify(r.inputs)} in ${stack} (#${i})`);
      }
    }
  });

  it("checks an orchestrator and its cache whatever they leave out", async () => {
    const orchestrator = resource(ORCHESTRATOR, "o", { eventBus: "redis-streams" }, { stack: "prod" });
    const cache = resource(REDIS_CACHE, "c", {}, { stack: "prod", parent: orchestrator.urn });
    const workload = resource(
      "kubernetes:apps/v1:StatefulSet",
      "redis",
      { spec: { template: { spec: { containers: [{}] } } } },
      { stack: "prod", parent: cache.urn },
    );
    for (const set of [[orchestrator], [orchestrator, cache], [orchestrator, cache, workload]]) {
      await assert.doesNotReject(runPolicies(policies, set), set.map((r) => r.name).join(", "));
    }
  });
});
