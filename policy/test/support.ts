import { Policies, PolicyPackConfig } from "@pulumi/policy";
import * as path from "path";
import { RenderedResource, RenderOptions } from "../../render/types";
import { runPolicies, Violation } from "../offline";

/** A rendered resource as the render would record it, in stack `stack`. */
export function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  opts: { stack?: string; parent?: string | null; custom?: boolean } = {},
): RenderedResource {
  return {
    type,
    name,
    urn: `urn:pulumi:${opts.stack ?? "dev"}::camunda-orchestrator::${type}::${name}`,
    parent: opts.parent ?? null,
    custom: opts.custom ?? !type.startsWith("camunda-orchestrator:"),
    inputs,
  };
}

/** Runs one policy through the offline adapter and returns its violation messages. */
export async function messages(policy: Policies[number], resources: RenderedResource[], config: PolicyPackConfig = {}): Promise<string[]> {
  return (await violations(policy, resources, config)).map((v) => v.message);
}

export function violations(policy: Policies[number], resources: RenderedResource[], config: PolicyPackConfig = {}): Promise<Violation[]> {
  return runPolicies([policy], resources, config);
}

/** A hardened, cluster-local Knative worker like the component should produce. */
export function workerService(overrides: { container?: Record<string, unknown>; labels?: Record<string, string>; annotations?: Record<string, string> } = {}) {
  return {
    apiVersion: "serving.knative.dev/v1",
    kind: "Service",
    metadata: {
      name: "checkout-worker",
      namespace: "orchestration",
      labels: { "networking.knative.dev/visibility": "cluster-local", "app.kubernetes.io/component": "worker", ...overrides.labels },
      annotations: { ...overrides.annotations },
    },
    spec: {
      template: {
        metadata: { annotations: { "autoscaling.knative.dev/min-scale": "1" } },
        spec: {
          serviceAccountName: "checkout-worker",
          containers: [
            {
              name: "worker",
              image: "ghcr.io/acme/camunda-worker:1.4.2",
              ports: [{ containerPort: 8080 }],
              env: [
                { name: "ZEEBE_GRPC_ADDRESS", value: "grpc://checkout-zeebe-gateway.orchestration:26500" },
                { name: "KAFKA_SASL_MECHANISM", value: "SCRAM-SHA-512" },
                { name: "ZEEBE_CLIENT_SECRET", valueFrom: { secretKeyRef: { name: "checkout-zeebe", key: "clientSecret" } } },
                { name: "DATABASE_URL", value: "postgres://checkout:$(DB_PASSWORD)@pg.db:5432/checkout" },
              ],
              resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "2000m", memory: "2Gi" } },
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 10001,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              ...overrides.container,
            },
          ],
        },
      },
      traffic: [{ latestRevision: true, percent: 100 }],
    },
  };
}

export const KNATIVE = "kubernetes:serving.knative.dev/v1:Service";

/** What `Pulumi.prod.yaml` keeps encrypted; the offline render takes them as --secret overrides. */
export const PROD_SECRETS = {
  saasClientSecret: "render-test-client-secret",
  postgresAdminPassword: "render-test-admin-password",
  kafkaSaslPassword: "render-test-sasl-password",
  redisUrl: "rediss://:render-test-redis-password@redis.example.internal:6380",
};

/** The deliberately bad Application in prod: plain secret in `environment`, `latest` image, replication factor 1. */
export const BAD_APP: RenderOptions = {
  stack: "prod",
  appFile: path.join(__dirname, "fixtures/bad-app.yaml"),
  secrets: PROD_SECRETS,
  config: { workerImage: "ghcr.io/camunda-orchestrator/worker:latest", kafkaReplicationFactor: "1", kafkaMinInsyncReplicas: "1" },
};
