import * as pulumi from "@pulumi/pulumi";
import { SagaPattern, WorkerVariable } from "../workers/src/contract";
import { SECRET_KEYS } from "./naming";

/**
 * The worker variables the orchestrator sets itself; the `environment` property may not override them. Each
 * is a variable of the worker's config schema (checked by the compiler through {@link WorkerVariable}).
 */
export const ORCHESTRATOR_VARIABLES = [
  "ZEEBE_GRPC_ADDRESS",
  "ZEEBE_REST_ADDRESS",
  "CAMUNDA_AUTH_STRATEGY",
  "ZEEBE_CLIENT_ID",
  "ZEEBE_CLIENT_SECRET",
  "CAMUNDA_OAUTH_URL",
  "ZEEBE_TOKEN_AUDIENCE",
  "CAMUNDA_BASIC_AUTH_USERNAME",
  "CAMUNDA_BASIC_AUTH_PASSWORD",
  "DATABASE_URL",
  "REDIS_URL",
  "ENABLE_EVENT_STREAMING",
  "EVENT_BUS",
  "KAFKA_BROKERS",
  "KAFKA_SSL",
  "KAFKA_SASL_MECHANISM",
  "KAFKA_SASL_USERNAME",
  "KAFKA_SASL_PASSWORD",
  "TOPICS_PREFIX",
  "SAGA_PATTERNS",
  "DISCOVERY_LABEL_SELECTOR",
  "DISCOVERY_NAMESPACES",
  "WORKFLOWS_DIR",
  // Tracing: the stack settings otlpEndpoint, otlpHeaders (a secret), otlpProtocol and traceSampleRatio own them.
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "OTEL_EXPORTER_OTLP_PROTOCOL",
  "OTEL_SERVICE_NAME",
  "OTEL_RESOURCE_ATTRIBUTES",
  "OTEL_TRACES_SAMPLER",
  "OTEL_TRACES_SAMPLER_ARG",
] as const satisfies readonly WorkerVariable[];

/** A variable the orchestrator sets. */
export type OrchestratorVariable = (typeof ORCHESTRATOR_VARIABLES)[number];

/** A container environment entry: a plain value, or a key of a Secret. */
export type EnvVar = { name: string; value: pulumi.Input<string> } | { name: string; valueFrom: { secretKeyRef: { name: pulumi.Input<string>; key: string } } };

/** How the worker authenticates to Zeebe: the SDK's CAMUNDA_AUTH_STRATEGY and where its credentials are. */
export type ZeebeAuth =
  | { strategy: "NONE" }
  /** Basic: user name and password in the Secret (keys CAMUNDA_BASIC_AUTH_USERNAME / _PASSWORD). */
  | { strategy: "BASIC"; secretName: pulumi.Input<string> }
  /** OAuth client credentials in the Secret (keys ZEEBE_CLIENT_ID / _SECRET), token endpoint and audience. */
  | { strategy: "OAUTH"; secretName: pulumi.Input<string>; url: pulumi.Input<string>; audience: pulumi.Input<string> };

/** Everything the worker container needs to know, by where it comes from. */
export interface WorkerEnvInputs {
  zeebe: {
    grpcAddress: pulumi.Input<string>;
    restAddress: pulumi.Input<string>;
    auth: ZeebeAuth;
  };
  databaseSecretName: pulumi.Input<string>;
  redisSecretName: pulumi.Input<string>;
  events: {
    enabled: boolean;
    bus: "kafka" | "redis-streams";
    kafkaBrokers?: pulumi.Input<string>;
    kafkaTls?: boolean;
    kafkaSasl?: { mechanism: string; secretName: pulumi.Input<string> };
  };
  topicsPrefix: pulumi.Input<string>;
  sagaPatterns: readonly SagaPattern[];
  discoveryNamespaces: readonly string[];
  workflowsDir: string;
  /** The component's `environment` property: plain, non-secret values. */
  extra: Record<string, string>;
  /** OpenTelemetry tracing (stack setting otlpEndpoint); absent: the worker does not trace. */
  tracing?: {
    endpoint: string;
    /** The Secret holding OTEL_EXPORTER_OTLP_HEADERS, when the collector wants headers (credentials). */
    headersSecretName?: pulumi.Input<string>;
    protocol?: "http/protobuf" | "http/json";
    sampleRatio?: number;
    /** `service.name` of the spans: the worker's Knative Service. */
    serviceName: string;
    namespace: pulumi.Input<string>;
  };
}

const plain = (name: OrchestratorVariable, value: pulumi.Input<string>): EnvVar => ({ name, value });
const secretRef = (name: OrchestratorVariable, secretName: pulumi.Input<string>, key: string): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secretName, key } },
});

/** Label services carry to take part in discovery. */
export const DISCOVERY_LABEL_SELECTOR = "orchestration.platform/managed=true";

function authEnvironment(auth: ZeebeAuth): EnvVar[] {
  switch (auth.strategy) {
    case "NONE":
      return [plain("CAMUNDA_AUTH_STRATEGY", "NONE")];
    case "BASIC":
      return [
        plain("CAMUNDA_AUTH_STRATEGY", "BASIC"),
        secretRef("CAMUNDA_BASIC_AUTH_USERNAME", auth.secretName, SECRET_KEYS.basicAuthUsername),
        secretRef("CAMUNDA_BASIC_AUTH_PASSWORD", auth.secretName, SECRET_KEYS.basicAuthPassword),
      ];
    case "OAUTH":
      return [
        plain("CAMUNDA_AUTH_STRATEGY", "OAUTH"),
        plain("CAMUNDA_OAUTH_URL", auth.url),
        plain("ZEEBE_TOKEN_AUDIENCE", auth.audience),
        secretRef("ZEEBE_CLIENT_ID", auth.secretName, SECRET_KEYS.zeebeClientId),
        secretRef("ZEEBE_CLIENT_SECRET", auth.secretName, SECRET_KEYS.zeebeClientSecret),
      ];
  }
}

/** The worker's environment: credentials only by secretKeyRef, everything else as plain values. */
export function workerEnvironment(inputs: WorkerEnvInputs): EnvVar[] {
  const env: EnvVar[] = [
    plain("ZEEBE_GRPC_ADDRESS", inputs.zeebe.grpcAddress),
    plain("ZEEBE_REST_ADDRESS", inputs.zeebe.restAddress),
    ...authEnvironment(inputs.zeebe.auth),
    secretRef("DATABASE_URL", inputs.databaseSecretName, SECRET_KEYS.databaseUrl),
    secretRef("REDIS_URL", inputs.redisSecretName, SECRET_KEYS.redisUrl),
    plain("ENABLE_EVENT_STREAMING", String(inputs.events.enabled)),
    plain("EVENT_BUS", inputs.events.bus),
  ];
  if (inputs.events.enabled && inputs.events.bus === "kafka" && inputs.events.kafkaBrokers !== undefined) {
    env.push(plain("KAFKA_BROKERS", inputs.events.kafkaBrokers), plain("KAFKA_SSL", String(inputs.events.kafkaTls ?? false)));
    if (inputs.events.kafkaSasl) {
      env.push(
        plain("KAFKA_SASL_MECHANISM", inputs.events.kafkaSasl.mechanism),
        secretRef("KAFKA_SASL_USERNAME", inputs.events.kafkaSasl.secretName, SECRET_KEYS.kafkaSaslUsername),
        secretRef("KAFKA_SASL_PASSWORD", inputs.events.kafkaSasl.secretName, SECRET_KEYS.kafkaSaslPassword),
      );
    }
  }
  env.push(
    plain("TOPICS_PREFIX", inputs.topicsPrefix),
    plain("SAGA_PATTERNS", inputs.sagaPatterns.join(",")),
    plain("DISCOVERY_LABEL_SELECTOR", DISCOVERY_LABEL_SELECTOR),
    plain("DISCOVERY_NAMESPACES", inputs.discoveryNamespaces.join(",")),
    plain("WORKFLOWS_DIR", inputs.workflowsDir),
  );
  if (inputs.tracing) env.push(...tracingEnvironment(inputs.tracing));
  for (const [name, value] of Object.entries(inputs.extra).sort(([a], [b]) => a.localeCompare(b))) env.push({ name, value });
  return env;
}

/** The worker's OTEL_* variables (read by the OpenTelemetry SDK; workers/README.md "Traces"). */
function tracingEnvironment(t: NonNullable<WorkerEnvInputs["tracing"]>): EnvVar[] {
  const env: EnvVar[] = [
    { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: t.endpoint },
    { name: "OTEL_SERVICE_NAME", value: t.serviceName },
    { name: "OTEL_RESOURCE_ATTRIBUTES", value: pulumi.interpolate`service.namespace=${t.namespace},k8s.namespace.name=${t.namespace}` },
  ];
  if (t.protocol) env.push({ name: "OTEL_EXPORTER_OTLP_PROTOCOL", value: t.protocol });
  if (t.sampleRatio !== undefined)
    env.push({ name: "OTEL_TRACES_SAMPLER", value: "parentbased_traceidratio" }, { name: "OTEL_TRACES_SAMPLER_ARG", value: String(t.sampleRatio) });
  if (t.headersSecretName) env.push(secretRef("OTEL_EXPORTER_OTLP_HEADERS", t.headersSecretName, SECRET_KEYS.otlpHeaders));
  return env;
}
