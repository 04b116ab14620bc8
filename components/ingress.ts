import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { labels, objectNames } from "./naming";

/** Knative's cluster-local gateway: the way into a cluster-local Knative Service behind a custom host. */
export const KNATIVE_LOCAL_GATEWAY = "knative-local-gateway.istio-system.svc.cluster.local";

export interface IstioGatewayArgs {
  component: string;
  namespace: pulumi.Input<string>;
  host: string;
  /** Kubernetes TLS Secret (in the ingress gateway's namespace) that holds the host's certificate. */
  tlsCredentialName: string;
  /** Name of the worker's Knative Service. */
  workerServiceName: pulumi.Input<string>;
  /** Labels of the Istio ingress gateway pods. */
  selector?: Record<string, string>;
  /**
   * Also expose the orchestration cluster's web apps (Operate) on a host of their own, on the same gateway and with
   * the same rules (HTTPS only, plain HTTP redirected): `service` is the cluster's HTTP address inside the mesh.
   */
  operate?: { host: string; tlsCredentialName: string; service: pulumi.Input<string>; port: number };
}

/** Exposes the worker on `host` over HTTPS through Istio; plain HTTP only redirects to HTTPS. */
export class IstioGateway extends pulumi.ComponentResource {
  public readonly url: pulumi.Output<string>;
  /** Operate's public URL when `operate` is set. */
  public readonly operateUrl: pulumi.Output<string | undefined>;

  constructor(name: string, args: IstioGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("camunda-orchestrator:ingress:IstioGateway", name, { host: args.host }, opts);
    const names = objectNames(args.component);
    const meta = { namespace: args.namespace, labels: labels(args.component, "ingress") };
    const gateway = new k8s.apiextensions.CustomResource(`${name}-gateway`, {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { ...meta, name: names.gateway },
      spec: {
        selector: args.selector ?? { istio: "ingressgateway" },
        servers: [
          { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: [args.host], tls: { mode: "SIMPLE", credentialName: args.tlsCredentialName } },
          { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: [args.host], tls: { httpsRedirect: true } },
          ...(args.operate
            ? [
              { port: { number: 443, name: "https-operate", protocol: "HTTPS" }, hosts: [args.operate.host], tls: { mode: "SIMPLE", credentialName: args.operate.tlsCredentialName } },
              { port: { number: 80, name: "http-operate", protocol: "HTTP" }, hosts: [args.operate.host], tls: { httpsRedirect: true } },
            ]
            : []),
        ],
      },
    }, { parent: this });
    new k8s.apiextensions.CustomResource(`${name}-virtualservice`, {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { ...meta, name: names.virtualService },
      spec: {
        hosts: [args.host],
        gateways: [pulumi.interpolate`${gateway.metadata.namespace}/${gateway.metadata.name}`],
        http: [{
          rewrite: { authority: pulumi.interpolate`${args.workerServiceName}.${args.namespace}.svc.cluster.local` },
          route: [{ destination: { host: KNATIVE_LOCAL_GATEWAY, port: { number: 80 } } }],
        }],
      },
    }, { parent: this });
    if (args.operate) {
      // The whole web app host goes to the cluster's HTTP port, as the chart's own Ingress routes its context path
      // (templates/common/ingress-http.yaml); the cluster's login (basic or OIDC) protects it.
      new k8s.apiextensions.CustomResource(`${name}-operate`, {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { ...meta, name: names.operateVirtualService },
        spec: {
          hosts: [args.operate.host],
          gateways: [pulumi.interpolate`${gateway.metadata.namespace}/${gateway.metadata.name}`],
          http: [{ route: [{ destination: { host: args.operate.service, port: { number: args.operate.port } } }] }],
        },
      }, { parent: this });
    }
    this.url = pulumi.output(`https://${args.host}`);
    this.operateUrl = pulumi.output(args.operate ? `https://${args.operate.host}/operate` : undefined);
    this.registerOutputs({ url: this.url, operateUrl: this.operateUrl });
  }
}
