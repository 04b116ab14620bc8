import { renderStack } from "../../render/render";
import { RenderOptions, RenderResult } from "../../render/types";

/**
 * Distinctive fake credentials: long and unlike anything else the program writes, so finding one in
 * a rendered file can only mean it leaked.
 */
export const FAKE_SECRETS = {
  saasClientSecret: "fake-saas-secret-Q7xK2mVt9wLp",
  postgresAdminPassword: "fake-pg-admin-Zr4Nq8Hs1Yd",
  kafkaSaslPassword: "fake-kafka-sasl-Wc6Tb3Jm5Ke",
  redisUrl: "rediss://default:fake-redis-pw-Hn2Vx7Lq4Ga@redis.example.internal:6380/0",
} as const;

/** The password inside {@link FAKE_SECRETS.redisUrl}: it must not leak on its own either. */
export const FAKE_REDIS_PASSWORD = "fake-redis-pw-Hn2Vx7Lq4Ga";

/** Plain SaaS connection settings a remote component needs besides its client secret. */
const SAAS_CONNECTION = {
  saasClusterId: "5e2c9a1b-0000-4000-8000-00000000beef",
  saasRegion: "bru-2",
  saasClientId: "payments-dev-client",
  gatewayJwtIssuer: "https://idp.example.com/realms/payments-dev",
  gatewayJwksUri: "https://idp.example.com/realms/payments-dev/protocol/openid-connect/certs",
};

export interface RenderCase {
  /** Short label for test titles. */
  label: string;
  options: RenderOptions;
}

/** The example stacks and variants every render test goes through. */
export const RENDER_CASES: readonly RenderCase[] = [
  { label: "dev", options: { stack: "dev" } },
  { label: "prod", options: { stack: "prod", secrets: { ...FAKE_SECRETS } } },
  { label: "dev + platform-multi", options: { stack: "dev", appFile: "examples/platform-multi.yaml" } },
  {
    label: "dev + payments-remote",
    options: {
      stack: "dev",
      appFile: "examples/payments-remote.yaml",
      config: { ...SAAS_CONNECTION },
      secrets: { saasClientSecret: FAKE_SECRETS.saasClientSecret },
    },
  },
  {
    label: "dev + payments-remote, discovery in all namespaces",
    options: {
      stack: "dev",
      appFile: "examples/payments-remote.yaml",
      config: { ...SAAS_CONNECTION, discoveryNamespaces: "*" },
      secrets: { saasClientSecret: FAKE_SECRETS.saasClientSecret },
    },
  },
  {
    label: "dev, OIDC, Strimzi before 1.0, kube-prometheus-stack labels",
    options: {
      stack: "dev",
      config: {
        camundaAuth: "oidc",
        camundaOidcIssuerUrl: "https://idp.example.com/realms/camunda",
        camundaOidcTokenUrl: "https://idp.example.com/realms/camunda/protocol/openid-connect/token",
        camundaOidcClientId: "checkout-worker",
        kafkaStrimziApiVersion: "v1beta2",
        monitoringLabels: JSON.stringify({ release: "kube-prometheus-stack" }),
      },
      secrets: { camundaOidcClientSecret: "fake-oidc-secret-Pb8Yc3Nw6Tq" },
    },
  },
  {
    // Its GitHub repositories are resources too: a lost identity would delete (archive) a repository.
    label: "dev + enterprise-workflows, repositories on GitHub",
    options: {
      stack: "dev",
      appFile: "examples/enterprise-workflows.yaml",
      config: { repositoryProvider: "github", repositoryOwner: "acme" },
      secrets: { githubToken: "ghp_fake-token-Jd5Rw8Nc3Ty6" },
    },
  },
];

/** Every secret value a case passes in (and the password inside a Redis URL). */
export function secretValuesOf(options: RenderOptions): string[] {
  const values = Object.values(options.secrets ?? {});
  if (values.includes(FAKE_SECRETS.redisUrl)) values.push(FAKE_REDIS_PASSWORD);
  return values;
}

const cache = new Map<RenderCase, Promise<RenderResult>>();
/** Mock runs share the SDK's global runtime state: one at a time. */
let queue: Promise<unknown> = Promise.resolve();

/** Renders a case once per test process (renders are deterministic; the program runs under mocks). */
export function renderCase(renderCase: RenderCase): Promise<RenderResult> {
  let result = cache.get(renderCase);
  if (!result) {
    result = queue.then(() => renderStack(renderCase.options));
    queue = result.catch(() => undefined);
    cache.set(renderCase, result);
  }
  return result;
}
