import * as coreV1 from "kubernetes-models/v1";
import * as appsV1 from "kubernetes-models/apps/v1";
import * as rbacV1 from "kubernetes-models/rbac.authorization.k8s.io/v1";
import * as networkingV1 from "kubernetes-models/networking.k8s.io/v1";
import * as policyV1 from "kubernetes-models/policy/v1";
import * as batchV1 from "kubernetes-models/batch/v1";
import * as autoscalingV2 from "kubernetes-models/autoscaling/v2";
import * as knativeServingV1 from "@kubernetes-models/knative/serving.knative.dev/v1";
import * as istioNetworkingV1beta1 from "@kubernetes-models/istio/networking.istio.io/v1beta1";
import * as istioSecurityV1beta1 from "@kubernetes-models/istio/security.istio.io/v1beta1";
import * as prometheusV1 from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { validateKafkaTopic } from "./strimzi";

interface ModelClass {
  new (data: object): { validate(): void };
  apiVersion: string;
  kind: string;
}

interface ModelSource {
  /** Package and module, for messages. */
  from: string;
  module: Record<string, unknown>;
  /**
   * The apiVersion the package's classes carry. The CommonJS Istio models stop at v1beta1; Istio's v1
   * API (current since 1.22) has the same schema, so v1 objects are validated as v1beta1.
   */
  modelApiVersion?: string;
}

const SOURCES: Record<string, ModelSource> = {
  "v1": { from: "kubernetes-models/v1", module: coreV1 },
  "apps/v1": { from: "kubernetes-models/apps/v1", module: appsV1 },
  "rbac.authorization.k8s.io/v1": { from: "kubernetes-models/rbac.authorization.k8s.io/v1", module: rbacV1 },
  "networking.k8s.io/v1": { from: "kubernetes-models/networking.k8s.io/v1", module: networkingV1 },
  "policy/v1": { from: "kubernetes-models/policy/v1", module: policyV1 },
  "batch/v1": { from: "kubernetes-models/batch/v1", module: batchV1 },
  "autoscaling/v2": { from: "kubernetes-models/autoscaling/v2", module: autoscalingV2 },
  "serving.knative.dev/v1": { from: "@kubernetes-models/knative/serving.knative.dev/v1", module: knativeServingV1 },
  "networking.istio.io/v1": { from: "@kubernetes-models/istio/networking.istio.io/v1beta1", module: istioNetworkingV1beta1, modelApiVersion: "networking.istio.io/v1beta1" },
  "networking.istio.io/v1beta1": { from: "@kubernetes-models/istio/networking.istio.io/v1beta1", module: istioNetworkingV1beta1 },
  "security.istio.io/v1": { from: "@kubernetes-models/istio/security.istio.io/v1beta1", module: istioSecurityV1beta1, modelApiVersion: "security.istio.io/v1beta1" },
  "security.istio.io/v1beta1": { from: "@kubernetes-models/istio/security.istio.io/v1beta1", module: istioSecurityV1beta1 },
  "monitoring.coreos.com/v1": { from: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1", module: prometheusV1 },
};

/** Objects validated by hand-written schemas (no CommonJS models package exists for them). */
const CUSTOM: Record<string, { from: string; validate(object: Record<string, unknown>): void }> = {
  "kafka.strimzi.io/v1beta2 KafkaTopic": { from: "test/support/strimzi.ts (Strimzi CRD v1beta2 schema)", validate: validateKafkaTopic },
};

/** Thrown for an object that no model covers: an unvalidated object is a failure, not a skip. */
export class NoSchemaError extends Error {}

function isModelClass(value: unknown, apiVersion: string, kind: string): value is ModelClass {
  return typeof value === "function" && (value as ModelClass).apiVersion === apiVersion && (value as ModelClass).kind === kind;
}

/**
 * Validates one Kubernetes object against its schema (`new Model(object).validate()`) and returns
 * which model did it. Throws with the failing path when invalid, and {@link NoSchemaError} when no
 * model covers the object's apiVersion and kind.
 */
export function validateAgainstSchema(object: Record<string, unknown>): string {
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  const custom = CUSTOM[`${apiVersion} ${kind}`];
  if (custom) {
    custom.validate(object);
    return custom.from;
  }
  const source = SOURCES[apiVersion];
  const modelApiVersion = source?.modelApiVersion ?? apiVersion;
  const model = source?.module[kind];
  if (!source || !isModelClass(model, modelApiVersion, kind)) {
    throw new NoSchemaError(`no schema model for apiVersion ${apiVersion} kind ${kind}: add one to test/support/schemas.ts`);
  }
  new model({ ...object, apiVersion: modelApiVersion }).validate();
  return `${source.from} ${kind}`;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * What the API server checks on metadata and the schemas do not: name and namespace formats,
 * label keys and values. Services (core and Knative) need DNS-1035 labels: their names become DNS names.
 */
export function metadataProblems(object: Record<string, unknown>): string[] {
  const metadata = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown; labels?: Record<string, unknown> };
  const problems: string[] = [];
  const name = metadata.name;
  if (typeof name !== "string" || name === "") {
    problems.push("metadata.name: missing");
  } else if (object.kind === "Service" && (object.apiVersion === "v1" || object.apiVersion === "serving.knative.dev/v1")) {
    if (name.length > 63 || !DNS1035_LABEL.test(name)) problems.push(`metadata.name: "${name}" is not a DNS-1035 label (a Service name)`);
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    problems.push(`metadata.name: "${name}" is not a DNS-1123 subdomain`);
  }
  if (metadata.namespace !== undefined) {
    const ns = metadata.namespace;
    if (typeof ns !== "string" || ns.length > 63 || !DNS1123_LABEL.test(ns)) problems.push(`metadata.namespace: "${String(ns)}" is not a DNS-1123 label`);
  }
  for (const [key, value] of Object.entries(metadata.labels ?? {})) {
    const slash = key.lastIndexOf("/");
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const labelName = key.slice(slash + 1);
    if ((prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) || labelName.length > 63 || !LABEL_NAME.test(labelName)) {
      problems.push(`metadata.labels: key "${key}" is not a valid label key`);
    }
    if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) problems.push(`metadata.labels.${key}: "${String(value)}" is not a valid label value`);
  }
  return problems;
}
