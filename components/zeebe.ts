import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { camundaHelmValues, ChartAuth, EmbeddedZeebeSizing, mergeValues } from "./helm-values";
import { embeddedZeebeAddresses, labels, objectNames, OrchestrationNamingValues, saasAddresses, SECRET_KEYS } from "./naming";
import { publicWebAppsRoot } from "./operate";
import { ZeebeAuth } from "./worker-env";

/** Camunda 8 SaaS client credentials and cluster coordinates. */
export interface SaasConnection {
  /** The cluster's id, e.g. from the Console or another stack's outputs. */
  clusterId: pulumi.Input<string>;
  /** The cluster's region id, e.g. `bru-2`. */
  region: pulumi.Input<string>;
  /** The API client's id. */
  clientId: pulumi.Input<string>;
  /** The API client's secret. Kept secret end to end: it reaches the worker only through a Kubernetes Secret. */
  clientSecret: pulumi.Input<string>;
}

/**
 * How the embedded orchestration cluster protects its API and how the worker authenticates (default `basic`).
 * `none` leaves the API open: for throwaway clusters only; the policy pack refuses it in production stacks.
 */
export type EmbeddedAuth =
  | { method: "basic" }
  | {
      method: "oidc";
      /** The OpenID Connect issuer whose tokens the cluster accepts, e.g. `https://idp.example.com/realms/camunda`. */
      issuerUrl: string;
      /** Where the worker gets its tokens (client credentials grant). */
      tokenUrl: string;
      /** The worker's OAuth client; it gets the cluster's admin role. */
      clientId: string;
      /** The worker's client secret; stays secret, reaches the worker through a Secret. */
      clientSecret: pulumi.Input<string>;
      /** Audience of the worker's tokens; the chart accepts `orchestration-api` by default. */
      audience: string;
    }
  | { method: "none" };

/** The camunda-platform chart of an embedded Zeebe. */
export interface CamundaChart {
  /** Chart version, e.g. `13.12.7`. */
  version: string;
  /** Helm repository URL, e.g. `https://helm.camunda.io`. */
  repository: string;
  /** Brokers, partitions and replication. */
  sizing: EmbeddedZeebeSizing;
  /** Extra values merged over the computed ones (maps key by key, lists replaced), as `helm --values` would. */
  values?: Record<string, unknown>;
}

export interface ZeebeArgs {
  /** Name of the orchestrator this Zeebe serves; prefixes every object name. */
  component: string;
  /** Namespace of the Helm release and of the credentials Secret. */
  namespace: pulumi.Input<string>;
  /** `embedded`: the camunda-platform chart in the cluster (needs `chart`); `remote`: Camunda 8 SaaS (needs `saas`). */
  mode: "embedded" | "remote";
  /** For `embedded`: chart coordinates, sizing and extra values. */
  chart?: CamundaChart;
  /** For `embedded`: API protection and worker credentials; default `{ method: "basic" }`. */
  auth?: EmbeddedAuth;
  /** For `remote`: the SaaS connection. */
  saas?: SaasConnection;
  /**
   * For `embedded`: the public host on which the stack exposes the cluster's web apps (Operate), e.g.
   * `operate.example.com`; with OIDC, logins return there instead of the chart's `http://localhost:8080`.
   */
  webAppsHost?: string;
}

/** The chart's default admin role must reach the worker: its user name, per component. */
const workerUsername = (component: string) => `${component}-worker`;

/**
 * The Zeebe a worker talks to: a `camunda-platform` Helm release in the cluster (embedded), or Camunda 8 SaaS
 * (remote). Either way the worker's credentials are in one Secret, `<component>-zeebe-credentials`.
 */
export class Zeebe extends pulumi.ComponentResource {
  /** gRPC address as the SDK's ZEEBE_GRPC_ADDRESS wants it (grpc:// or grpcs://). */
  public readonly grpcAddress: pulumi.Output<string>;
  /** REST address (ZEEBE_REST_ADDRESS). */
  public readonly restAddress: pulumi.Output<string>;
  /** The Secret with the worker's credentials; undefined when the API is unprotected. */
  public readonly credentialsSecretName: pulumi.Output<string | undefined>;
  /** How the worker authenticates, for its environment. */
  public readonly workerAuth: ZeebeAuth;
  /** What the worker must wait for before it starts: the Helm release, or nothing for SaaS. */
  public readonly readiness: pulumi.Resource[] = [];

  constructor(name: string, args: ZeebeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("camunda-orchestrator:zeebe:Zeebe", name, { mode: args.mode }, opts);
    const names = objectNames(args.component);
    const credentials = (stringData: Record<string, pulumi.Input<string>>) =>
      new k8s.core.v1.Secret(
        `${name}-credentials`,
        {
          metadata: { name: names.zeebeCredentialsSecret, namespace: args.namespace, labels: labels(args.component, "zeebe") },
          type: "Opaque",
          stringData: pulumi.secret(stringData),
        },
        { parent: this, additionalSecretOutputs: ["stringData", "data"] },
      );

    if (args.mode === "embedded") {
      if (!args.chart) throw new pulumi.ResourceError(`Zeebe ${name}: embedded mode needs the chart (args.chart)`, this);
      const auth = args.auth ?? { method: "basic" };
      let chartAuth: ChartAuth;
      let secret: k8s.core.v1.Secret | undefined;
      if (auth.method === "basic") {
        const username = workerUsername(args.component);
        const password = new random.RandomPassword(
          `${name}-worker-password`,
          { length: 32, special: false },
          { parent: this, additionalSecretOutputs: ["result"] },
        );
        secret = credentials({ [SECRET_KEYS.basicAuthUsername]: username, [SECRET_KEYS.basicAuthPassword]: password.result });
        chartAuth = { method: "basic", username, secretName: names.zeebeCredentialsSecret };
        this.workerAuth = { strategy: "BASIC", secretName: secret.metadata.name };
      } else if (auth.method === "oidc") {
        secret = credentials({ [SECRET_KEYS.zeebeClientId]: auth.clientId, [SECRET_KEYS.zeebeClientSecret]: auth.clientSecret });
        chartAuth = { method: "oidc", issuerUrl: auth.issuerUrl, audience: auth.audience, clientId: auth.clientId, secretName: names.zeebeCredentialsSecret };
        this.workerAuth = { strategy: "OAUTH", secretName: secret.metadata.name, url: auth.tokenUrl, audience: auth.audience };
      } else {
        chartAuth = { method: "none" };
        this.workerAuth = { strategy: "NONE" };
      }
      const webAppsRoot = args.webAppsHost ? publicWebAppsRoot(args.webAppsHost, args.chart.values) : undefined;
      const values = mergeValues(camundaHelmValues({ sizing: args.chart.sizing, auth: chartAuth, webAppsRoot }), args.chart.values ?? {});
      const release = new k8s.helm.v3.Release(
        `${name}-release`,
        {
          name: names.helmRelease,
          namespace: args.namespace,
          chart: "camunda-platform",
          version: args.chart.version,
          repositoryOpts: { repo: args.chart.repository },
          values,
          atomic: true,
          timeout: 900,
        },
        // The chart's pods read the worker's password from the Secret: it exists first.
        { parent: this, dependsOn: secret ? [secret] : [] },
      );
      this.readiness.push(release);
      const orchestration = (values.orchestration ?? {}) as OrchestrationNamingValues;
      const addresses = pulumi.output(args.namespace).apply((ns) => embeddedZeebeAddresses(names.helmRelease, ns, orchestration));
      this.grpcAddress = addresses.grpcAddress;
      this.restAddress = addresses.restAddress;
      this.credentialsSecretName = secret ? secret.metadata.name : pulumi.output(undefined);
    } else {
      if (!args.saas) throw new pulumi.ResourceError(`Zeebe ${name}: remote mode needs the SaaS connection (args.saas)`, this);
      const addresses = pulumi.all([args.saas.clusterId, args.saas.region]).apply(([clusterId, region]) => saasAddresses(clusterId, region));
      const secret = credentials({ [SECRET_KEYS.zeebeClientId]: args.saas.clientId, [SECRET_KEYS.zeebeClientSecret]: args.saas.clientSecret });
      this.grpcAddress = addresses.grpcAddress;
      this.restAddress = addresses.restAddress;
      this.credentialsSecretName = secret.metadata.name;
      this.workerAuth = { strategy: "OAUTH", secretName: secret.metadata.name, url: addresses.oauthUrl, audience: addresses.tokenAudience };
    }
    this.registerOutputs({ grpcAddress: this.grpcAddress, restAddress: this.restAddress, credentialsSecretName: this.credentialsSecretName });
  }
}
