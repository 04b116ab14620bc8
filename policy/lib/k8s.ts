import { KNATIVE_SERVICE } from "./types";

/** Helpers that read Kubernetes objects as they arrive in policy args (`kubernetes:<group>/<version>:<kind>`). */

export interface KubeType {
  group: string;
  kind: string;
}

/** Splits `kubernetes:apps/v1:Deployment` into group `apps` and kind `Deployment`; undefined for other providers. */
export function kubeType(type: string): KubeType | undefined {
  const m = /^kubernetes:([^:]+):([^:]+)$/.exec(type);
  if (!m) return undefined;
  const apiVersion = m[1];
  const slash = apiVersion.lastIndexOf("/");
  return { group: slash < 0 ? "core" : apiVersion.slice(0, slash), kind: m[2] };
}

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  "core:Pod": ["spec"],
  "apps:Deployment": ["spec", "template", "spec"],
  "apps:StatefulSet": ["spec", "template", "spec"],
  "apps:DaemonSet": ["spec", "template", "spec"],
  "apps:ReplicaSet": ["spec", "template", "spec"],
  "batch:Job": ["spec", "template", "spec"],
  "batch:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
  "serving.knative.dev:Service": ["spec", "template", "spec"],
};

/** The pod spec of a workload, or undefined when the resource runs no containers. */
export function podSpecOf(type: string, props: any): any | undefined {
  const t = kubeType(type);
  const path = t && POD_SPEC_PATHS[`${t.group}:${t.kind}`];
  if (!path) return undefined;
  let node = props;
  for (const key of path) node = node?.[key];
  return node && typeof node === "object" ? node : undefined;
}

/** Init and regular containers of a pod spec. */
export function containersOf(podSpec: any): any[] {
  const list = (x: unknown) => (Array.isArray(x) ? x : []);
  return [...list(podSpec?.initContainers), ...list(podSpec?.containers)];
}

export function labelsOf(props: any): Record<string, unknown> {
  return props?.metadata?.labels ?? {};
}

export function annotationsOf(props: any): Record<string, unknown> {
  return props?.metadata?.annotations ?? {};
}

/** The orchestrator's worker: the Knative Service, or any workload labelled as a worker. */
export function isWorker(type: string, props: any): boolean {
  if (!podSpecOf(type, props)) return false;
  return type === KNATIVE_SERVICE || labelsOf(props)["app.kubernetes.io/component"] === "worker";
}

/** Printable container name for messages. */
export function containerLabel(c: any): string {
  return `container "${typeof c?.name === "string" ? c.name : "?"}"`;
}
