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

export function topicNames(prefix: string): TopicNames {
  const entries = Object.entries(TOPIC_SUFFIXES).map(([role, suffix]) => [role, `${prefix}.${suffix}`]);
  return Object.fromEntries(entries) as unknown as TopicNames;
}

/** A Kubernetes object name for a topic (topic names may hold '.' and '_', object names may not). */
export function topicObjectName(topic: string): string {
  return topic.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 253);
}

/** Names of the Kubernetes objects of one orchestrator; everything starts with the component name. */
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
  databaseUrl: "DATABASE_URL",
  redisUrl: "REDIS_URL",
  redisPassword: "REDIS_PASSWORD",
  postgresPassword: "POSTGRES_PASSWORD",
  kafkaSaslUsername: "KAFKA_SASL_USERNAME",
  kafkaSaslPassword: "KAFKA_SASL_PASSWORD",
  otlpHeaders: "OTEL_EXPORTER_OTLP_HEADERS",
} as const;

/** Zeebe addresses inside the cluster for an embedded release (chart camunda-platform). */
export function embeddedZeebeAddresses(release: string, namespace: string) {
  const host = `${release}-zeebe-gateway.${namespace}.svc.cluster.local`;
  return { grpcAddress: `grpc://${host}:26500`, restAddress: `http://${host}:8080` };
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
