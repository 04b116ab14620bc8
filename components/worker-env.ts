import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS } from "./naming";
import { SagaPattern } from "./properties";

/** A container environment entry: a plain value, or a key of a Secret. */
export type EnvVar =
  | { name: string; value: pulumi.Input<string> }
  | { name: string; valueFrom: { secretKeyRef: { name: pulumi.Input<string>; key: string } } };

/** Everything the worker container needs to know, by where it comes from. */
export interface WorkerEnvInputs {
  zeebe: {
    grpcAddress: pulumi.Input<string>;
    restAddress: pulumi.Input<string>;
    /** Present for SaaS: the Secret holding client id and secret, and the OAuth settings. */
    oauth?: { secretName: pulumi.Input<string>; url: string; audience: string };
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
  topicsPrefix: string;
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

const secretRef = (name: string, secretName: pulumi.Input<string>, key: string): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secretName, key } } });

/** The worker's environment: credentials only by secretKeyRef, everything else as plain values. */
export function workerEnvironment(inputs: WorkerEnvInputs): EnvVar[] {
  const env: EnvVar[] = [
    { name: "ZEEBE_GRPC_ADDRESS", value: inputs.zeebe.grpcAddress },
    { name: "ZEEBE_REST_ADDRESS", value: inputs.zeebe.restAddress },
  ];
  if (inputs.zeebe.oauth) {
    env.push(
      { name: "CAMUNDA_AUTH_STRATEGY", value: "OAUTH" },
      { name: "CAMUNDA_OAUTH_URL", value: inputs.zeebe.oauth.url },
      { name: "ZEEBE_TOKEN_AUDIENCE", value: inputs.zeebe.oauth.audience },
      secretRef("ZEEBE_CLIENT_ID", inputs.zeebe.oauth.secretName, SECRET_KEYS.zeebeClientId),
      secretRef("ZEEBE_CLIENT_SECRET", inputs.zeebe.oauth.secretName, SECRET_KEYS.zeebeClientSecret),
    );
  } else {
    env.push({ name: "CAMUNDA_AUTH_STRATEGY", value: "NONE" });
  }
  env.push(
    secretRef("DATABASE_URL", inputs.databaseSecretName, SECRET_KEYS.databaseUrl),
    secretRef("REDIS_URL", inputs.redisSecretName, SECRET_KEYS.redisUrl),
    { name: "ENABLE_EVENT_STREAMING", value: String(inputs.events.enabled) },
    { name: "EVENT_BUS", value: inputs.events.bus },
  );
  if (inputs.events.bus === "kafka" && inputs.events.kafkaBrokers !== undefined) {
    env.push({ name: "KAFKA_BROKERS", value: inputs.events.kafkaBrokers }, { name: "KAFKA_SSL", value: String(inputs.events.kafkaTls ?? false) });
    if (inputs.events.kafkaSasl) {
      env.push(
        { name: "KAFKA_SASL_MECHANISM", value: inputs.events.kafkaSasl.mechanism },
        secretRef("KAFKA_SASL_USERNAME", inputs.events.kafkaSasl.secretName, SECRET_KEYS.kafkaSaslUsername),
        secretRef("KAFKA_SASL_PASSWORD", inputs.events.kafkaSasl.secretName, SECRET_KEYS.kafkaSaslPassword),
      );
    }
  }
  env.push(
    { name: "TOPICS_PREFIX", value: inputs.topicsPrefix },
    { name: "SAGA_PATTERNS", value: inputs.sagaPatterns.join(",") },
    { name: "DISCOVERY_LABEL_SELECTOR", value: "orchestration.platform/managed=true" },
    { name: "DISCOVERY_NAMESPACES", value: inputs.discoveryNamespaces.join(",") },
    { name: "WORKFLOWS_DIR", value: inputs.workflowsDir },
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
  if (t.sampleRatio !== undefined) env.push({ name: "OTEL_TRACES_SAMPLER", value: "parentbased_traceidratio" }, { name: "OTEL_TRACES_SAMPLER_ARG", value: String(t.sampleRatio) });
  if (t.headersSecretName) env.push(secretRef("OTEL_EXPORTER_OTLP_HEADERS", t.headersSecretName, SECRET_KEYS.otlpHeaders));
  return env;
}
