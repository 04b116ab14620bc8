import * as coreV1 from "kubernetes-models/v1";
import * as appsV1 from "kubernetes-models/apps/v1";
import * as rbacV1 from "kubernetes-models/rbac.authorization.k8s.io/v1";
import * as networkingV1 from "kubernetes-models/networking.k8s.io/v1";
import * as policyV1 from "kubernetes-models/policy/v1";
import * as batchV1 from "kubernetes-models/batch/v1";
import * as autoscalingV2 from "kubernetes-models/autoscaling/v2";
import { crdSchemas, describeErrors } from "./crd-schemas";

interface ModelClass {
  new (data: object): { validate(): void };
  apiVersion: string;
  kind: string;
}

/** Core Kubernetes kinds: the kubernetes-models package, generated from Kubernetes' own OpenAPI. */
const CORE_MODELS: Record<string, { from: string; module: Record<string, unknown> }> = {
  v1: { from: "kubernetes-models/v1", module: coreV1 },
  "apps/v1": { from: "kubernetes-models/apps/v1", module: appsV1 },
  "rbac.authorization.k8s.io/v1": { from: "kubernetes-models/rbac.authorization.k8s.io/v1", module: rbacV1 },
  "networking.k8s.io/v1": { from: "kubernetes-models/networking.k8s.io/v1", module: networkingV1 },
  "policy/v1": { from: "kubernetes-models/policy/v1", module: policyV1 },
  "batch/v1": { from: "kubernetes-models/batch/v1", module: batchV1 },
  "autoscaling/v2": { from: "kubernetes-models/autoscaling/v2", module: autoscalingV2 },
};

/** Thrown for an object that no model covers: an unvalidated object is a failure, not a skip. */
export class NoSchemaError extends Error {}

function isModelClass(value: unknown, apiVersion: string, kind: string): value is ModelClass {
  return typeof value === "function" && (value as ModelClass).apiVersion === apiVersion && (value as ModelClass).kind === kind;
}

/**
 * Validates one Kubernetes object against its schema and returns which one did it: core kinds with
 * `kubernetes-models`, custom resources with the `openAPIV3Schema` of the upstream CRD (test/upstream), their
 * metadata with the ObjectMeta schema of `kubernetes-models`. Throws with the failing path when invalid,
 * and {@link NoSchemaError} when no schema covers the object's apiVersion and kind.
 */
export function validateAgainstSchema(object: Record<string, unknown>): string {
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  const crd = crdSchemas().get(`${apiVersion} ${kind}`);
  if (crd) {
    if (!crd.validate(object)) throw new Error(`${crd.source}: ${describeErrors(crd.validate)}`);
    // A CRD says only `metadata: object`; the API server checks ObjectMeta itself: so do we, with a core model that holds nothing else.
    new coreV1.ConfigMap({ metadata: object.metadata as coreV1.ConfigMap["metadata"] }).validate();
    return crd.source;
  }
  const core = CORE_MODELS[apiVersion];
  const model = core?.module[kind];
  if (!core || !isModelClass(model, apiVersion, kind)) {
    throw new NoSchemaError(
      `no schema model or served upstream CRD for apiVersion ${apiVersion} kind ${kind}: add the upstream CRD to test/upstream and test/support/crd-schemas.ts`,
    );
  }
  new model(object).validate();
  return `${core.from} ${kind}`;
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
    if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value))
      problems.push(`metadata.labels.${key}: "${String(value)}" is not a valid label value`);
  }
  return problems;
}
