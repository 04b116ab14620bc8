import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { camundaHelmValues, EmbeddedZeebeSizing } from "./helm-values";
import { embeddedZeebeAddresses, labels, objectNames, saasAddresses, SECRET_KEYS } from "./naming";

/** Camunda 8 SaaS client credentials and cluster coordinates. */
export interface SaasConnection {
  clusterId: string;
  region: string;
  clientId: pulumi.Input<string>;
  /** Kept secret end to end: it reaches the worker only through a Kubernetes Secret. */
  clientSecret: pulumi.Input<string>;
}

export interface ZeebeArgs {
  /** Name of the orchestrator this Zeebe serves; prefixes every object name. */
  component: string;
  namespace: pulumi.Input<string>;
  mode: "embedded" | "remote";
  /** For `embedded`: chart coordinates and cluster sizing. */
  chart?: { version: string; repository: string; sizing: EmbeddedZeebeSizing };
  /** For `remote`: the SaaS connection. */
  saas?: SaasConnection;
}

/**
 * The Zeebe a worker talks to: a `camunda-platform` Helm release in the cluster (embedded), or
 * Camunda 8 SaaS whose credentials go into a Secret (remote).
 */
export class Zeebe extends pulumi.ComponentResource {
  /** gRPC address as the SDK's ZEEBE_GRPC_ADDRESS wants it (grpc:// or grpcs://). */
  public readonly grpcAddress: pulumi.Output<string>;
  public readonly restAddress: pulumi.Output<string>;
  /** Secret with ZEEBE_CLIENT_ID and ZEEBE_CLIENT_SECRET (remote mode), else undefined. */
  public readonly credentialsSecretName: pulumi.Output<string | undefined>;
  /** OAuth endpoint and audience for remote mode. */
  public readonly oauth?: { url: string; audience: string };

  constructor(name: string, args: ZeebeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("camunda-orchestrator:zeebe:Zeebe", name, { mode: args.mode }, opts);
    const names = objectNames(args.component);

    if (args.mode === "embedded") {
      if (!args.chart) throw new Error(`Zeebe ${name}: embedded mode needs chart settings`);
      new k8s.helm.v3.Release(`${name}-release`, {
        name: names.helmRelease,
        namespace: args.namespace,
        chart: "camunda-platform",
        version: args.chart.version,
        repositoryOpts: { repo: args.chart.repository },
        values: camundaHelmValues(args.chart.sizing),
        atomic: true,
        timeout: 900,
      }, { parent: this });
      const addresses = pulumi.output(args.namespace).apply((ns) => embeddedZeebeAddresses(names.helmRelease, ns));
      this.grpcAddress = addresses.grpcAddress;
      this.restAddress = addresses.restAddress;
      this.credentialsSecretName = pulumi.output(undefined);
    } else {
      if (!args.saas) throw new Error(`Zeebe ${name}: remote mode needs the SaaS connection`);
      const addresses = saasAddresses(args.saas.clusterId, args.saas.region);
      const secret = new k8s.core.v1.Secret(`${name}-credentials`, {
        metadata: { name: names.zeebeCredentialsSecret, namespace: args.namespace, labels: labels(args.component, "zeebe") },
        type: "Opaque",
        stringData: pulumi.secret({
          [SECRET_KEYS.zeebeClientId]: pulumi.output(args.saas.clientId),
          [SECRET_KEYS.zeebeClientSecret]: pulumi.output(args.saas.clientSecret),
        }),
      }, { parent: this, additionalSecretOutputs: ["stringData", "data"] });
      this.grpcAddress = pulumi.output(addresses.grpcAddress);
      this.restAddress = pulumi.output(addresses.restAddress);
      this.credentialsSecretName = secret.metadata.name;
      this.oauth = { url: addresses.oauthUrl, audience: addresses.tokenAudience };
    }
    this.registerOutputs({ grpcAddress: this.grpcAddress, restAddress: this.restAddress, credentialsSecretName: this.credentialsSecretName });
  }
}
