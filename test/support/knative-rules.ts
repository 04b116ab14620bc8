/**
 * Rules Knative Serving's admission webhook enforces on a `serving.knative.dev/v1` Service that its CRD schema
 * (test/upstream/knative-serving-1.23.0/service.yaml) cannot say, written after the webhook's code in
 * knative/serving v1.23.0: `pkg/apis/serving/k8s_validation.go` (one container, one port and its names, reserved
 * variables), `pkg/apis/serving/v1/revision_validation.go` (timeoutSeconds), `pkg/apis/autoscaling/
 * annotation_validation.go` (autoscaling annotations) and `pkg/apis/serving/v1/route_validation.go` (traffic).
 * Each returns the problems it finds, with the path, and an empty list for a valid Service.
 */

export const RESERVED_ENV_NAMES = ["PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"] as const;
export const ALLOWED_PORT_NAMES = ["", "http1", "h2c"] as const;
export const MAX_TIMEOUT_SECONDS = 600;
const AUTOSCALING_PREFIX = "autoscaling.knative.dev/";
const KPA = "kpa.autoscaling.knative.dev";
const HPA = "hpa.autoscaling.knative.dev";

type Obj = Record<string, unknown>;

function asObject(value: unknown): Obj {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Obj) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

const templateSpecOf = (service: Obj) => asObject(asObject(asObject(service.spec).template).spec);
const containersOf = (service: Obj) => asArray(templateSpecOf(service).containers).map(asObject);

/** Exactly one container (sidecars are a feature flag, off by default), with exactly one port named "", http1 or h2c. */
export function containerAndPortProblems(service: Obj): string[] {
  const containers = containersOf(service);
  if (containers.length !== 1) return [`spec.template.spec.containers: exactly one container expected, found ${containers.length}`];
  const ports = asArray(containers[0].ports).map(asObject);
  if (ports.length !== 1) return [`spec.template.spec.containers[0].ports: exactly one port expected, found ${ports.length}`];
  const name = ports[0].name ?? "";
  return (ALLOWED_PORT_NAMES as readonly unknown[]).includes(name)
    ? []
    : [`spec.template.spec.containers[0].ports[0].name: "${String(name)}" is not one of "", http1, h2c`];
}

/** Knative sets PORT and K_* itself: a container may not. */
export function reservedEnvProblems(service: Obj): string[] {
  return containersOf(service).flatMap((container, c) =>
    asArray(container.env)
      .map(asObject)
      .flatMap((entry, e) =>
        (RESERVED_ENV_NAMES as readonly unknown[]).includes(entry.name)
          ? [`spec.template.spec.containers[${c}].env[${e}].name: ${String(entry.name)} is reserved by Knative`]
          : [],
      ),
  );
}

/** The request timeout may not exceed the cluster's max-revision-timeout-seconds (600 by default). */
export function timeoutProblems(service: Obj): string[] {
  const timeout = templateSpecOf(service).timeoutSeconds;
  if (timeout === undefined) return [];
  return typeof timeout === "number" && Number.isInteger(timeout) && timeout >= 0 && timeout <= MAX_TIMEOUT_SECONDS
    ? []
    : [`spec.template.spec.timeoutSeconds: ${String(timeout)} must be an integer from 0 to ${MAX_TIMEOUT_SECONDS}`];
}

/**
 * Autoscaling annotations belong on the revision template (`spec.template.metadata.annotations`), not on
 * the Service's own metadata, and annotation values are strings; scale bounds are numbers with min ≤ max.
 */
export function autoscalingProblems(service: Obj): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(asObject(asObject(service.metadata).annotations))) {
    if (key.startsWith(AUTOSCALING_PREFIX)) problems.push(`metadata.annotations.${key}: autoscaling annotations go on spec.template.metadata.annotations`);
  }
  const annotations = asObject(asObject(asObject(asObject(service.spec).template).metadata).annotations);
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value !== "string") problems.push(`spec.template.metadata.annotations.${key}: annotation values must be strings, got ${typeof value}`);
  }
  const number = (key: string): number | undefined => {
    const value = annotations[AUTOSCALING_PREFIX + key];
    if (value === undefined || typeof value !== "string") return undefined;
    const parsed = Number(value);
    if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0) {
      problems.push(`spec.template.metadata.annotations.${AUTOSCALING_PREFIX}${key}: "${value}" is not a non-negative number`);
      return undefined;
    }
    return parsed;
  };
  const min = number("min-scale");
  const max = number("max-scale");
  const target = number("target");
  if (target !== undefined && target < 0.01) problems.push(`spec.template.metadata.annotations.${AUTOSCALING_PREFIX}target: ${target} should be at least 0.01`);
  // validateClass and validateMetric: a *.knative.dev class is kpa or hpa; the KPA scales on concurrency or rps
  // only, the HPA on any other metric (cpu, memory, custom). KPA is the cluster's default class.
  const klass = annotations[AUTOSCALING_PREFIX + "class"];
  if (typeof klass === "string" && klass.endsWith(".knative.dev") && klass !== KPA && klass !== HPA) {
    problems.push(`spec.template.metadata.annotations.${AUTOSCALING_PREFIX}class: "${klass}" is neither ${KPA} nor ${HPA}`);
  }
  const metric = annotations[AUTOSCALING_PREFIX + "metric"];
  if (typeof metric === "string") {
    const effectiveClass = typeof klass === "string" ? klass : KPA;
    const allowed = effectiveClass === KPA ? ["concurrency", "rps"].includes(metric) : effectiveClass === HPA ? metric !== "" : true;
    if (!allowed) problems.push(`spec.template.metadata.annotations.${AUTOSCALING_PREFIX}metric: "${metric}" is not a metric of ${effectiveClass}`);
  }
  if (min !== undefined && max !== undefined && max !== 0 && min > max) {
    problems.push(`spec.template.metadata.annotations: min-scale ${min} exceeds max-scale ${max}`);
  }
  return problems;
}

/** Traffic: percents sum to 100, tags unique, each entry names exactly one of revisionName or latestRevision: true. */
export function trafficProblems(service: Obj): string[] {
  const traffic = asObject(service.spec).traffic;
  if (traffic === undefined) return [];
  const entries = asArray(traffic).map(asObject);
  if (entries.length === 0) return ["spec.traffic: empty; omit it or route 100 percent"];
  const problems: string[] = [];
  let total = 0;
  const tags = new Set<string>();
  entries.forEach((entry, i) => {
    const pinned = typeof entry.revisionName === "string" && entry.revisionName !== "";
    const latest = entry.latestRevision === true;
    if (pinned === latest) {
      problems.push(`spec.traffic[${i}]: needs exactly one of revisionName or latestRevision: true, ${pinned ? "has both" : "has neither"}`);
    }
    const percent = entry.percent ?? 0;
    if (typeof percent !== "number" || !Number.isInteger(percent) || percent < 0 || percent > 100) {
      problems.push(`spec.traffic[${i}].percent: ${String(percent)} must be an integer from 0 to 100`);
    } else {
      total += percent;
    }
    if (entry.tag !== undefined) {
      const tag = String(entry.tag);
      if (tags.has(tag)) problems.push(`spec.traffic[${i}].tag: "${tag}" is used twice`);
      tags.add(tag);
    }
  });
  if (total !== 100) problems.push(`spec.traffic: percents sum to ${total}, not 100`);
  return problems;
}

/** Every rule above. */
export function knativeServiceProblems(service: Obj): string[] {
  return [
    ...containerAndPortProblems(service),
    ...reservedEnvProblems(service),
    ...timeoutProblems(service),
    ...autoscalingProblems(service),
    ...trafficProblems(service),
  ];
}
