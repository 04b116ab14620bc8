import { z } from "zod";
import { DNS_LABEL, DNS_SUBDOMAIN, HOSTNAME, MEMORY_QUANTITY } from "./quantities";
import { OrchestratorSpec } from "./properties";
import { parseOrThrow, strictObject, ValidationError } from "./validation";

/** Pulumi config namespace of this project: keys read `camunda-orchestrator:<key>`. */
export const CONFIG_NAMESPACE = "camunda-orchestrator";

/** Settings that hold credentials: they must be set with `pulumi config set --secret`. */
export const SECRET_SETTING_KEYS = [
  "saasClientSecret",
  "postgresAdminPassword",
  "kafkaSaslPassword",
  "redisUrl",
  "camundaOidcClientSecret",
  "otlpHeaders",
] as const;

/** The camunda-platform chart an embedded Zeebe gets by default: the newest 13.x (Camunda 8.8) checked here. */
export const CAMUNDA_CHART_VERSION = "13.12.7";

/** Credentials of the repository host: secret, but never handed to an orchestrator. */
export const REPOSITORY_SECRET_KEYS = ["githubToken"] as const;

/**
 * Keys that shape the offline render's GitOps tree and the scaffolded repositories, not the
 * orchestrators: the stack program keeps them away from CamundaOrchestrator.
 */
export const GITOPS_AND_REPOSITORY_KEYS = [
  "gitopsTool",
  "gitopsSecrets",
  "externalSecretStore",
  "externalSecretStoreKind",
  "argocdNamespace",
  "repositoryProvider",
  "repositoryOwner",
  "repositoryVisibility",
  "repositoryBaseUrl",
  "githubToken",
] as const;

const bool = z.stringbool({ truthy: ["true"], falsy: ["false"] });
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const json = <S extends z.ZodType>(schema: S) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be valid JSON (a YAML list or map in the stack file)" });
        return z.NEVER;
      }
    })
    .pipe(schema);

/** Where the alerts draw the line (components/alert-rules.ts has the defaults). */
const alertThresholds = strictObject({
  compensationSuccessRatio: z.number().min(0).max(1).optional(),
  consumerLag: z.number().int().min(0).optional(),
  outboxBacklog: z.number().int().min(0).optional(),
  outboxMaxAgeSeconds: z.number().int().min(1).optional(),
});

/** Kubernetes label keys (optional DNS-subdomain prefix, name of at most 63 characters) and values. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const labelMap = z.record(
  z.string().regex(LABEL_KEY, "must be a Kubernetes label key such as release or pod-security.kubernetes.io/enforce"),
  z.string().regex(LABEL_VALUE, "must be a Kubernetes label value (at most 63 letters, digits, '-', '_', '.')"),
);

/** Keys that existed once and now would do nothing: refused with what to do instead. */
export const REMOVED_SETTINGS: Readonly<Record<string, string>> = {
  workerConcurrencyTarget:
    "Knative's concurrency target counts HTTP requests, and the worker pulls its jobs, so it never saw the worker's load; " +
    "the worker scales on CPU now: set workerCpuTarget (percent of the CPU request)",
  workerTraffic:
    "a percent split of HTTP traffic does not split the jobs a worker pulls; rollouts are blue/green by readiness " +
    "(the new revision serves before the old one stops taking jobs, see the README); pin workerImage to hold a version back",
};

/**
 * Stack-level settings: every `camunda-orchestrator:*` config key except `application` and `components`.
 * Values arrive as strings, as Pulumi hands them to programs.
 */
export const stackSettingsSchema = strictObject({
  application: z.string().min(1, "must not be empty: the path of an OAM Application file, relative to the project").optional(),
  components: z.string().min(1, "must not be empty: a list of components ({name, type?, properties})").optional(),
  allowNoOrchestrators: bool.default(false),
  namespace: z.string().regex(DNS_LABEL, "must be a DNS label").default("camunda-orchestration"),
  createNamespace: bool.default(true),
  workerImage: z.string().min(1).default("ghcr.io/camunda-orchestrator/worker:0.1.0"),
  workerMinScale: z.coerce
    .number()
    .int()
    .min(1, "must be at least 1: a worker pulls its jobs, so no request ever wakes a revision scaled to zero")
    .max(1000)
    .default(1),
  workerMaxScale: int(1, 1000).default(10),
  workerCpuTarget: int(1, 100).default(70),
  discoveryNamespaces: z
    .string()
    .transform((text) =>
      text
        .split(",")
        .map((ns) => ns.trim())
        .filter((ns) => ns !== ""),
    )
    .pipe(z.array(z.string().regex(/^(\*|[a-z]([-a-z0-9]*[a-z0-9])?)$/, "must be namespace names or *")))
    .default([]),
  eventBus: z.enum(["kafka", "redis-streams"]).default("kafka"),
  kafkaMode: z.enum(["strimzi", "external"]).default("strimzi"),
  kafkaBootstrapServers: z
    .string()
    .regex(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, "must be host:port[,host:port...]")
    .optional(),
  kafkaStrimziCluster: z.string().regex(DNS_LABEL, "must be a DNS label").optional(),
  kafkaStrimziNamespace: z.string().regex(DNS_LABEL, "must be a DNS label").optional(),
  kafkaStrimziApiVersion: z.enum(["v1", "v1beta2"]).default("v1"),
  kafkaTls: bool.optional(),
  kafkaSaslMechanism: z.enum(["plain", "scram-sha256", "scram-sha512"]).optional(),
  kafkaSaslUsername: z.string().min(1).optional(),
  kafkaSaslPassword: z.string().min(1).optional(),
  kafkaPartitions: int(1, 10000).default(3),
  kafkaReplicationFactor: int(1, 10).default(1),
  kafkaMinInsyncReplicas: int(1, 10).optional(),
  topicRetentionMs: int(60_000, Number.MAX_SAFE_INTEGER).default(7 * 24 * 3600 * 1000),
  deadLetterRetentionMs: int(60_000, Number.MAX_SAFE_INTEGER).default(14 * 24 * 3600 * 1000),
  platformStackTemplate: z.string().includes("{platform}", { message: "must contain {platform}, e.g. acme/realtime-platform/{platform}" }).optional(),
  postgresMode: z.enum(["in-cluster", "external"]).default("in-cluster"),
  postgresHost: z.string().min(1).optional(),
  postgresPort: int(1, 65535).default(5432),
  postgresAdminUser: z.string().min(1).default("postgres"),
  postgresAdminPassword: z.string().min(1).optional(),
  postgresSslMode: z.enum(["disable", "require", "verify-ca", "verify-full"]).default("require"),
  redisMode: z.enum(["in-cluster", "external"]).default("in-cluster"),
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
    .optional(),
  redisStorageSize: z.string().regex(MEMORY_QUANTITY, "must be a Kubernetes quantity such as 1Gi").default("1Gi"),
  redisStorageClassName: z.string().regex(DNS_SUBDOMAIN, "must be a StorageClass name").optional(),
  redisAppendOnly: bool.default(false),
  monitoring: bool.default(true),
  monitoringLabels: json(labelMap).default(() => ({})),
  namespaceLabels: json(labelMap).default(() => ({})),
  grafanaDashboard: bool.default(true),
  grafanaDashboardLabel: z
    .string()
    .regex(
      /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?=([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/,
      "must be one label as key=value, e.g. grafana_dashboard=1",
    )
    .default("grafana_dashboard=1"),
  grafanaDashboardNamespace: z.string().regex(DNS_LABEL, "must be a DNS label").optional(),
  alertThresholds: json(alertThresholds).default(() => ({})),
  otlpEndpoint: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL of an OTLP/HTTP collector, e.g. http://otel-collector.observability:4318" })
    .optional(),
  otlpHeaders: z
    .string()
    .refine(
      (v) => v.split(",").every((pair) => /^\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*=.*$/.test(pair)),
      "must be key=value pairs separated by commas (values URL-encoded), e.g. authorization=Bearer%20<token>",
    )
    .optional(),
  otlpProtocol: z.enum(["http/protobuf", "http/json"]).optional(),
  traceSampleRatio: z.coerce.number().min(0).max(1).optional(),
  operateHost: z.string().regex(HOSTNAME, "must be a host name such as operate.example.com").optional(),
  camundaChartVersion: z.string().min(1).default(CAMUNDA_CHART_VERSION),
  camundaChartRepository: z.url().default("https://helm.camunda.io"),
  camundaHelmValues: json(z.record(z.string(), z.unknown())).optional(),
  camundaAuth: z.enum(["basic", "oidc", "none"]).default("basic"),
  camundaOidcIssuerUrl: z.url({ protocol: /^https?$/ }).optional(),
  camundaOidcTokenUrl: z.url({ protocol: /^https?$/ }).optional(),
  camundaOidcClientId: z.string().min(1).optional(),
  camundaOidcClientSecret: z.string().min(1).optional(),
  camundaOidcAudience: z.string().min(1).default("orchestration-api"),
  zeebeClusterSize: int(1, 99).default(1),
  zeebePartitionCount: int(1, 999).default(1),
  zeebeReplicationFactor: int(1, 99).default(1),
  istioTlsCredentialName: z.string().min(1).optional(),
  istioIngressNamespace: z.string().regex(DNS_LABEL, "must be a DNS label").default("istio-system"),
  gatewayJwtIssuer: z.url({ protocol: /^https?$/ }).optional(),
  gatewayJwksUri: z.url({ protocol: /^https?$/ }).optional(),
  gatewayJwtAudiences: z
    .string()
    .transform((text) =>
      text
        .split(",")
        .map((a) => a.trim())
        .filter((a) => a !== ""),
    )
    .default([]),
  saasClusterId: z.string().min(1).optional(),
  saasRegion: z.string().regex(DNS_LABEL, "must be a region id such as bru-2").optional(),
  saasClientId: z.string().min(1).optional(),
  saasClientSecret: z.string().min(1).optional(),
  gitopsTool: z.enum(["flux", "argocd"]).default("flux"),
  gitopsSecrets: z.enum(["external-secrets", "manual"]).default("external-secrets"),
  externalSecretStore: z.string().regex(DNS_LABEL, "must be a DNS label naming a (Cluster)SecretStore").default("camunda-orchestrator"),
  externalSecretStoreKind: z.enum(["ClusterSecretStore", "SecretStore"]).default("ClusterSecretStore"),
  argocdNamespace: z.string().regex(DNS_LABEL, "must be a DNS label").default("argocd"),
  repositoryProvider: z.enum(["none", "github"]).default("none"),
  repositoryOwner: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, "must be a GitHub user or organization name")
    .optional(),
  repositoryVisibility: z.enum(["private", "internal", "public"]).default("private"),
  repositoryBaseUrl: z.url({ protocol: /^(https|ssh)$/, error: "must be an https:// or ssh:// URL under which <repository>-gitops is cloned" }).optional(),
  githubToken: z.string().min(1).optional(),
}).superRefine((s, ctx) => {
  if (s.workerMinScale > s.workerMaxScale)
    ctx.addIssue({ code: "custom", path: ["workerMinScale"], message: `must not exceed workerMaxScale (${s.workerMaxScale})` });
  if (s.kafkaMinInsyncReplicas !== undefined && s.kafkaMinInsyncReplicas > s.kafkaReplicationFactor) {
    ctx.addIssue({
      code: "custom",
      path: ["kafkaMinInsyncReplicas"],
      message: `must not exceed kafkaReplicationFactor (${s.kafkaReplicationFactor}): lower it along with the replication factor`,
    });
  }
  if (s.repositoryProvider === "github") {
    if (!s.repositoryOwner)
      ctx.addIssue({
        code: "custom",
        path: ["repositoryOwner"],
        message: "is required with repositoryProvider github (the user or organization that owns the repositories)",
      });
    if (!s.githubToken)
      ctx.addIssue({ code: "custom", path: ["githubToken"], message: `is required with repositoryProvider github; ${howToSet("githubToken", true)}` });
  }
  if (!s.otlpEndpoint) {
    const needs = {
      otlpHeaders: "the collector the headers are for",
      otlpProtocol: "the collector to speak it to",
      traceSampleRatio: "where the sampled traces go",
    } as const;
    for (const key of Object.keys(needs) as (keyof typeof needs)[]) {
      if (s[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: `needs otlpEndpoint (${needs[key]})` });
    }
  }
  if (s.zeebeReplicationFactor > s.zeebeClusterSize) {
    ctx.addIssue({ code: "custom", path: ["zeebeReplicationFactor"], message: `must not exceed zeebeClusterSize (${s.zeebeClusterSize})` });
  }
});

export type StackSettings = z.output<typeof stackSettingsSchema>;

/** How to set a key, for error messages: both the Pulumi CLI and the offline render. */
export function howToSet(key: string, secret: boolean): string {
  return secret
    ? `set it with \`pulumi config set --secret ${CONFIG_NAMESPACE}:${key} <value>\` (offline render: \`--secret-env ${key}=<VARIABLE>\` or \`--secret-file ${key}=<file>\`)`
    : `set it with \`pulumi config set ${CONFIG_NAMESPACE}:${key} <value>\` (offline render: \`--config ${key}=<value>\`)`;
}

/**
 * Parses the raw `camunda-orchestrator:*` config (key without namespace → string value).
 * `secretKeys` are the keys Pulumi holds as secrets; credentials set in plain text are rejected.
 */
export function parseStackSettings(raw: Record<string, string>, secretKeys: ReadonlySet<string>): StackSettings {
  const removed = Object.keys(raw).filter((key) => REMOVED_SETTINGS[key] !== undefined);
  if (removed.length > 0) throw new ValidationError(removed.map((key) => `stack config: ${CONFIG_NAMESPACE}:${key}: was removed: ${REMOVED_SETTINGS[key]}`));
  const plaintext = [...SECRET_SETTING_KEYS, ...REPOSITORY_SECRET_KEYS].filter((key) => raw[key] !== undefined && !secretKeys.has(key));
  if (plaintext.length > 0) {
    throw new ValidationError(
      plaintext.map((key) => `stack config: ${CONFIG_NAMESPACE}:${key}: holds a credential but is stored in plain text; ${howToSet(key, true)}`),
    );
  }
  return parseOrThrow(stackSettingsSchema, raw, "stack config", CONFIG_NAMESPACE + ":");
}

/** Settings as the orchestrator holds them: credentials may already be (secret) Outputs. */
export type SettingsToCheck = Pick<StackSettings, "eventBus" | "kafkaMode" | "postgresMode" | "redisMode" | "camundaAuth"> &
  Partial<Record<keyof StackSettings, unknown>>;

/**
 * Checks what the orchestrators need from the stack settings, e.g. SaaS credentials for remote mode. A
 * problem of one component names it; a problem of the stack's shared settings names the stack config (and
 * which components need the setting), never whichever component happens to come first.
 */
export function checkSettingsFor(specs: readonly OrchestratorSpec[], settings: SettingsToCheck): void {
  const problems: string[] = [];
  const need = (subject: string, why: string, key: keyof StackSettings, secret = false, what = "") => {
    if (settings[key] === undefined) problems.push(`${subject}: ${why} needs stack config ${CONFIG_NAMESPACE}:${key}${what}; ${howToSet(key, secret)}`);
  };
  const stack = "stack config";
  const names = (list: readonly OrchestratorSpec[]) => list.map((spec) => spec.name).join(", ");
  for (const spec of specs) {
    const component = `component "${spec.name}"`;
    if (spec.properties.camundaMode === "remote") {
      need(component, "camundaMode remote", "saasClusterId");
      need(component, "camundaMode remote", "saasRegion");
      need(component, "camundaMode remote", "saasClientId");
      need(component, "camundaMode remote", "saasClientSecret", true);
    }
    if (spec.properties.enableEventStreaming && settings.eventBus === "kafka" && settings.kafkaMode === "external" && !settings.platformStackTemplate) {
      need(component, "eventBus kafka with kafkaMode external (and no platformStackTemplate)", "kafkaBootstrapServers");
    }
  }
  const exposed = specs.filter((spec) => spec.properties.enableIstioGateway);
  if (exposed.length > 0) {
    const why = `enableIstioGateway (${names(exposed)}: the public API takes only callers with a JWT of this issuer)`;
    need(stack, why, "gatewayJwtIssuer");
    need(stack, why, "gatewayJwksUri");
  }
  const embedded = specs.filter((spec) => spec.properties.camundaMode === "embedded");
  if (embedded.length > 0 && settings.camundaAuth === "oidc") {
    const why = `camundaAuth oidc (embedded Camunda of ${names(embedded)})`;
    need(stack, why, "camundaOidcIssuerUrl");
    need(stack, why, "camundaOidcTokenUrl");
    need(stack, why, "camundaOidcClientId");
    need(stack, why, "camundaOidcClientSecret", true);
  }
  const kafkaTopics = settings.eventBus === "kafka" ? specs.filter((spec) => spec.properties.enableEventStreaming) : [];
  if (kafkaTopics.length > 0 && settings.kafkaMode === "strimzi") {
    need(
      stack,
      `kafkaMode strimzi (topics of ${names(kafkaTopics)})`,
      "kafkaStrimziNamespace",
      false,
      ", the namespace of the Kafka cluster (Strimzi 1.x's Topic Operator reconciles topics only there)",
    );
  }
  if (kafkaTopics.length > 0 && settings.kafkaSaslUsername !== undefined) need(stack, "kafkaSaslUsername (SASL authentication)", "kafkaSaslPassword", true);
  if (kafkaTopics.length > 0 && settings.kafkaSaslPassword !== undefined) need(stack, "kafkaSaslPassword (SASL authentication)", "kafkaSaslUsername");
  if (specs.length > 0 && settings.postgresMode === "external") {
    need(stack, "postgresMode external", "postgresHost");
    need(stack, "postgresMode external", "postgresAdminPassword", true);
  }
  if (specs.length > 0 && settings.redisMode === "external") need(stack, "redisMode external", "redisUrl", true);
  if (problems.length > 0) throw new ValidationError(problems);
}
