import { createHash } from "crypto";

/** The seven topics of one orchestrator, by role. */
export interface TopicNames {
  workflowEvents: string;
  serviceResults: string;
  compensationTriggers: string;
  deadLetter: string;
  triggers: string;
  responses: string;
  errors: string;
}

/** Suffix of each topic after `<topicsPrefix>.`. */
export const TOPIC_SUFFIXES: Readonly<Record<keyof TopicNames, string>> = {
  workflowEvents: "workflow-events",
  serviceResults: "service-results",
  compensationTriggers: "compensation-triggers",
  deadLetter: "dead-letter",
  triggers: "triggers",
  responses: "responses",
  errors: "errors",
};

/** The seven topic names under `<prefix>.`; the worker computes the same (workers/src/events/bus.ts, tested alike). */
export function topicNames(prefix: string): TopicNames {
  const entries = Object.entries(TOPIC_SUFFIXES).map(([role, suffix]) => [role, `${prefix}.${suffix}`]);
  return Object.fromEntries(entries) as unknown as TopicNames;
}

/** A Kubernetes object name for a topic (topic names may hold '.' and '_', object names may not). */
export function topicObjectName(topic: string): string {
  return topic
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 253);
}

/**
 * A cluster-scoped object's name: it is shared by every namespace and stack of a cluster, so it carries the
 * namespace beside the component's name (`<namespace>-<component>-<part>`).
 */
export function clusterScopedName(namespace: string, component: string, part: string): string {
  return `${namespace}-${component}-${part}`;
}

/** Names of the Kubernetes objects of one orchestrator; everything namespaced starts with the component name. */
export function objectNames(component: string) {
  return {
    helmRelease: `${component}-camunda`,
    zeebeCredentialsSecret: `${component}-zeebe-credentials`,
    databaseSecret: `${component}-database`,
    database: component.replace(/-/g, "_"),
    databaseRole: `${component.replace(/-/g, "_")}_worker`,
    postgres: `${component}-postgres`,
    redis: `${component}-redis`,
    redisSecret: `${component}-redis`,
    kafkaCredentialsSecret: `${component}-kafka-credentials`,
    otlpSecret: `${component}-otlp`,
    operateVirtualService: `${component}-operate`,
    serviceAccount: `${component}-worker`,
    discoveryRole: `${component}-discovery`,
    worker: `${component}-worker`,
    rolloutRole: `${component}-worker-rollout`,
    gateway: `${component}-gateway`,
    virtualService: `${component}-worker`,
    serviceMonitor: `${component}-worker`,
    alertRules: `${component}-alerts`,
    dashboard: `${component}-dashboard`,
  };
}

/** Keys inside the Secrets the worker reads by secretKeyRef. */
export const SECRET_KEYS = {
  zeebeClientId: "ZEEBE_CLIENT_ID",
  zeebeClientSecret: "ZEEBE_CLIENT_SECRET",
  basicAuthUsername: "CAMUNDA_BASIC_AUTH_USERNAME",
  basicAuthPassword: "CAMUNDA_BASIC_AUTH_PASSWORD",
  databaseUrl: "DATABASE_URL",
  redisUrl: "REDIS_URL",
  redisPassword: "REDIS_PASSWORD",
  postgresPassword: "POSTGRES_PASSWORD",
  kafkaSaslUsername: "KAFKA_SASL_USERNAME",
  kafkaSaslPassword: "KAFKA_SASL_PASSWORD",
  otlpHeaders: "OTEL_EXPORTER_OTLP_HEADERS",
} as const;

/** The part of the chart's `orchestration` values that decides the gateway Service's name and ports. */
export interface OrchestrationNamingValues {
  fullnameOverride?: string;
  nameOverride?: string;
  service?: { grpcPort?: number; httpPort?: number };
}

/** Helm's `trunc 63 | trimSuffix "-"`. */
const helmName = (name: string) => name.slice(0, 63).replace(/-$/, "");

/**
 * A component's object name prefix as the camunda-platform chart computes it (`camundaPlatform.componentFullname`
 * in charts/camunda-platform-8.8/templates/common/_helpers.tpl, chart 13.12.7): `fullnameOverride`, else the
 * release name alone when it contains the component's name (`nameOverride` or the default), else both.
 */
export function chartComponentFullname(release: string, componentName: string, values: OrchestrationNamingValues): string {
  if (values.fullnameOverride) return helmName(values.fullnameOverride);
  const name = values.nameOverride || componentName;
  return helmName(release.includes(name) ? release : `${release}-${name}`);
}

/** Gateway ports of chart 13.12.7 (`orchestration.service.grpcPort`, `httpPort` in values.yaml). */
export const CHART_GATEWAY_PORTS = { grpc: 26500, http: 8080 } as const;

/**
 * Zeebe addresses inside the cluster for an embedded release: the gateway Service is
 * `<orchestration fullname>-gateway` (`orchestration.serviceName`, templates/orchestration/_helpers.tpl), where
 * the orchestration component is still named "zeebe" for compatibility with 8.7 (`orchestration.fullname`).
 */
export function embeddedZeebeAddresses(release: string, namespace: string, orchestration: OrchestrationNamingValues) {
  const host = `${chartComponentFullname(release, "zeebe", orchestration)}-gateway.${namespace}.svc.cluster.local`;
  const grpcPort = orchestration.service?.grpcPort ?? CHART_GATEWAY_PORTS.grpc;
  const httpPort = orchestration.service?.httpPort ?? CHART_GATEWAY_PORTS.http;
  return { grpcAddress: `grpc://${host}:${grpcPort}`, restAddress: `http://${host}:${httpPort}` };
}

/** Camunda 8 SaaS addresses of a cluster. */
export function saasAddresses(clusterId: string, region: string) {
  return {
    grpcAddress: `grpcs://${clusterId}.${region}.zeebe.camunda.io:443`,
    restAddress: `https://${region}.zeebe.camunda.io/${clusterId}`,
    oauthUrl: "https://login.cloud.camunda.io/oauth/token",
    tokenAudience: "zeebe.camunda.io",
  };
}

/** Short content hash: a ConfigMap named after its content is replaced, and so rolls the worker, when it changes. */
export function contentHash(parts: ReadonlyArray<readonly [string, string]>): string {
  const hash = createHash("sha256");
  for (const [name, content] of [...parts].sort(([a], [b]) => a.localeCompare(b))) hash.update(name).update("\0").update(content).update("\0");
  return hash.digest("hex").slice(0, 10);
}

/** Standard labels of every object of one orchestrator. */
export function labels(component: string, part: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": part,
    "app.kubernetes.io/instance": component,
    "app.kubernetes.io/component": part,
    "app.kubernetes.io/part-of": "camunda-orchestrator",
    "app.kubernetes.io/managed-by": "pulumi",
  };
}
