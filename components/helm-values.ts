import { SECRET_KEYS } from "./naming";

/** Sizing of an embedded Zeebe (camunda-platform chart 13.x, Camunda 8.8). */
export interface EmbeddedZeebeSizing {
  /** Brokers (`orchestration.clusterSize`). */
  clusterSize: number;
  /** Partitions (`orchestration.partitionCount`). */
  partitionCount: number;
  /** Replicas of each partition (`orchestration.replicationFactor`); at most `clusterSize`. */
  replicationFactor: number;
}

/**
 * How the orchestration cluster's API is protected, as the chart configures it
 * (`orchestration.security.*`, charts/camunda-platform-8.8/templates/orchestration/files/_application-unified.yaml):
 * - `basic`: the chart's default; one user for the worker, created at start-up, its password from a Secret;
 * - `oidc`: tokens of an OpenID Connect issuer; the worker's OAuth client gets the admin role;
 * - `none`: `unprotectedApi: true`, for throwaway clusters only (the policy refuses it in production).
 */
export type ChartAuth =
  | { method: "basic"; username: string; secretName: string }
  /** `secretName`: the Secret whose ZEEBE_CLIENT_SECRET key holds the worker client's secret. */
  | { method: "oidc"; issuerUrl: string; audience: string; clientId: string; secretName: string }
  | { method: "none" };

/** Name and e-mail the chart's user entries carry (values.yaml `orchestration.security.initialization.users`). */
const WORKER_USER = { name: "Orchestrator worker", email: (username: string) => `${username}@orchestrator.invalid` };

/**
 * The initial user in environment variables rather than values: the chart writes `initialization.users`,
 * passwords included, into a ConfigMap (templates/orchestration/configmap-unified.yaml), while the
 * environment takes the password from a Secret. Spring binds CAMUNDA_SECURITY_INITIALIZATION_USERS_0_* to
 * `camunda.security.initialization.users[0]`, and a list from the environment replaces the one of
 * application.yaml (the chart's own test scenarios set initialization lists the same way).
 */
function initialUserEnvironment(auth: Extract<ChartAuth, { method: "basic" }>) {
  const prefix = "CAMUNDA_SECURITY_INITIALIZATION_USERS_0_";
  return [
    { name: `${prefix}USERNAME`, value: auth.username },
    { name: `${prefix}PASSWORD`, valueFrom: { secretKeyRef: { name: auth.secretName, key: SECRET_KEYS.basicAuthPassword } } },
    { name: `${prefix}NAME`, value: WORKER_USER.name },
    { name: `${prefix}EMAIL`, value: WORKER_USER.email(auth.username) },
  ];
}

/**
 * The OIDC settings of the orchestration cluster. Its web apps (Operate, Tasklist) log users in with the
 * authorization code flow of `clientId` (chart default `orchestration`, secret in VALUES_ORCHESTRATION_CLIENT_SECRET
 * from `oidc.secret`, templates/orchestration/statefulset.yaml) and send them back to `<redirectUrl>/sso-callback`
 * (chart default `http://localhost:8080`, reachable through a port-forward only). The worker's client, whose secret
 * is already in the credentials Secret, is that client here; with a public host for the web apps the redirect
 * points there.
 */
function oidcValues(auth: Extract<ChartAuth, { method: "oidc" }>, webAppsRoot: string | undefined) {
  return {
    issuer: auth.issuerUrl,
    audience: auth.audience,
    clientId: auth.clientId,
    secret: { existingSecret: auth.secretName, existingSecretKey: SECRET_KEYS.zeebeClientSecret },
    ...(webAppsRoot ? { redirectUrl: webAppsRoot } : {}),
  };
}

function securityValues(auth: ChartAuth, webAppsRoot: string | undefined) {
  // No user or client from the chart's defaults: its demo/demo admin and the connectors' user are left out.
  const initialization = {
    users: [],
    defaultRoles: {
      admin: { users: auth.method === "basic" ? [auth.username] : [], clients: auth.method === "oidc" ? [auth.clientId] : [], mappingRules: [] },
      connectors: { users: [], clients: [], mappingRules: [] },
    },
  };
  const authentication =
    auth.method === "oidc"
      ? { method: "oidc", unprotectedApi: false, oidc: oidcValues(auth, webAppsRoot) }
      : { method: "basic", unprotectedApi: auth.method === "none" };
  return { authentication, authorizations: { enabled: auth.method !== "none" }, initialization };
}

/**
 * Values for the `camunda-platform` chart 13.x: 8.8 puts broker and gateway in one `orchestration` block.
 * Only what an orchestrator needs runs: the orchestration cluster (Zeebe, its gateway, Operate and Tasklist)
 * with its Elasticsearch; connectors and the management apps stay off. Every key is checked against the
 * chart's values.yaml and values.schema.json by test/camunda-chart.test.ts.
 */
export function camundaHelmValues(options: {
  sizing: EmbeddedZeebeSizing;
  auth: ChartAuth;
  /** The web apps' public root (`https://<host><contextPath>`) when a stack exposes them; OIDC logins return there. */
  webAppsRoot?: string;
}): Record<string, unknown> {
  const { sizing, auth, webAppsRoot } = options;
  const singleNode = sizing.clusterSize === 1;
  return {
    identity: { enabled: false },
    identityKeycloak: { enabled: false },
    optimize: { enabled: false },
    connectors: { enabled: false },
    webModeler: { enabled: false },
    console: { enabled: false },
    orchestration: {
      enabled: true,
      // The chart's schema types these as strings.
      clusterSize: String(sizing.clusterSize),
      partitionCount: String(sizing.partitionCount),
      replicationFactor: String(sizing.replicationFactor),
      resources: singleNode
        ? { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } }
        : { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "4Gi" } },
      pvcSize: singleNode ? "8Gi" : "32Gi",
      security: securityValues(auth, webAppsRoot),
      env: auth.method === "basic" ? initialUserEnvironment(auth) : [],
    },
    elasticsearch: {
      enabled: true,
      master: { replicaCount: singleNode ? 1 : 3, persistence: { size: singleNode ? "8Gi" : "64Gi" } },
    },
  };
}

const isMap = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** Helm's merge of a values file over another: maps merge key by key, anything else (lists included) is replaced. */
export function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over))
    merged[key] = isMap(value) && isMap(merged[key]) ? mergeValues(merged[key] as Record<string, unknown>, value) : value;
  return merged;
}
