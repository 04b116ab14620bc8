import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PUBLIC_API_PATHS } from "../workers/src/contract";
import { clusterScopedName, labels, objectNames } from "./naming";

/**
 * Knative's cluster-local gateway, the way into a cluster-local Knative Service behind a custom host: the Service
 * `knative-local-gateway` in `istio-system` (knative-extensions/net-istio config/203-local-gateway.yaml, v1.22.0).
 */
export const KNATIVE_LOCAL_GATEWAY = "knative-local-gateway.istio-system.svc.cluster.local";

/** The only paths a public entry point routes: the worker's public API, POST only. Never /actuator/* or /metrics. */
export const PUBLIC_ROUTES = Object.values(PUBLIC_API_PATHS);

/** Who may call the public API: bearers of a JWT from this issuer, checked by Istio at the ingress gateway. */
export interface JwtIssuer {
  /** The issuer (`iss` claim), e.g. `https://idp.example.com/realms/apps`. */
  issuer: string;
  /** Where its signing keys are (JWKS). */
  jwksUri: string;
  /** Accepted `aud` claims; empty: any audience of that issuer. */
  audiences?: string[];
}

export interface IstioGatewayArgs {
  /** Name of the orchestrator; prefixes every object name. */
  component: string;
  /** Namespace of the Gateway and the VirtualService (the worker's). */
  namespace: pulumi.Input<string>;
  /** The public host name, e.g. `orders.example.com`. */
  host: string;
  /** Kubernetes TLS Secret (in the ingress gateway's namespace) that holds the host's certificate. */
  tlsCredentialName: string;
  /** Name of the worker's Knative Service. */
  workerServiceName: pulumi.Input<string>;
  /** The JWT issuer whose tokens the public API requires. */
  jwt: JwtIssuer;
  /** Labels of the Istio ingress gateway pods; default `{ istio: ingressgateway }`. */
  selector?: Record<string, string>;
  /** Namespace of the Istio ingress gateway pods, where the JWT rules must live; default `istio-system`. */
  ingressNamespace?: string;
  /**
   * Also expose the orchestration cluster's web apps (Operate) on a host of their own, on the same gateway and with
   * the same rules (HTTPS only, plain HTTP redirected, a JWT of the issuer required).
   */
  operate?: OperateEntry;
}

/** Where the orchestration cluster's web apps are exposed, and where they are inside the mesh. */
export interface OperateEntry {
  /** The public host name, e.g. `operate.example.com`. */
  host: string;
  /** Kubernetes TLS Secret (in the ingress gateway's namespace) that holds the host's certificate. */
  tlsCredentialName: string;
  /** The cluster's HTTP Service host inside the mesh, e.g. `<release>-zeebe-gateway.<ns>.svc.cluster.local`. */
  service: pulumi.Input<string>;
  /** Its HTTP port (chart default 8080). */
  port: pulumi.Input<number>;
  /** Operate's path there: `<contextPath>/operate` (chart default `/operate`). */
  path: string;
}

/**
 * Exposes the worker's public API (start a process, publish a message) on `host` over HTTPS through Istio, to
 * callers with a valid JWT of the configured issuer; plain HTTP only redirects to HTTPS. Nothing else is routed:
 * the ops endpoints (/actuator/*, /metrics, with their dependency error texts) stay inside the cluster.
 */
export class IstioGateway extends pulumi.ComponentResource {
  /** The public base URL. */
  public readonly url: pulumi.Output<string>;
  /** Operate's public URL when `operate` is set. */
  public readonly operateUrl: pulumi.Output<string | undefined>;

  constructor(name: string, args: IstioGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("camunda-orchestrator:ingress:IstioGateway", name, { host: args.host }, opts);
    const names = objectNames(args.component);
    const meta = { namespace: args.namespace, labels: labels(args.component, "ingress") };
    const selector = args.selector ?? { istio: "ingressgateway" };
    const gateway = new k8s.apiextensions.CustomResource(
      `${name}-gateway`,
      {
        apiVersion: "networking.istio.io/v1",
        kind: "Gateway",
        metadata: { ...meta, name: names.gateway },
        spec: {
          selector,
          servers: [
            { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: [args.host], tls: { mode: "SIMPLE", credentialName: args.tlsCredentialName } },
            { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: [args.host], tls: { httpsRedirect: true } },
            ...(args.operate
              ? [
                  {
                    port: { number: 443, name: "https-operate", protocol: "HTTPS" },
                    hosts: [args.operate.host],
                    tls: { mode: "SIMPLE", credentialName: args.operate.tlsCredentialName },
                  },
                  { port: { number: 80, name: "http-operate", protocol: "HTTP" }, hosts: [args.operate.host], tls: { httpsRedirect: true } },
                ]
              : []),
          ],
        },
      },
      { parent: this },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-virtualservice`,
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { ...meta, name: names.virtualService },
        spec: {
          hosts: [args.host],
          gateways: [pulumi.interpolate`${gateway.metadata.namespace}/${gateway.metadata.name}`],
          http: [
            {
              name: "public-api",
              match: PUBLIC_ROUTES.map((path) => ({ uri: { exact: path }, method: { exact: "POST" } })),
              rewrite: { authority: pulumi.interpolate`${args.workerServiceName}.${args.namespace}.svc.cluster.local` },
              route: [{ destination: { host: KNATIVE_LOCAL_GATEWAY, port: { number: 80 } } }],
            },
          ],
        },
      },
      { parent: this },
    );

    if (args.operate) {
      // The whole web app host goes to the cluster's HTTP port, as the chart's own Ingress routes its context path
      // (templates/common/ingress-http.yaml); Operate's own login (basic or OIDC) applies behind the JWT rule below.
      new k8s.apiextensions.CustomResource(
        `${name}-operate`,
        {
          apiVersion: "networking.istio.io/v1",
          kind: "VirtualService",
          // The component label marks it as the Operate entry for the istio-public-entry policy.
          metadata: { ...meta, labels: labels(args.component, "operate"), name: names.operateVirtualService },
          spec: {
            hosts: [args.operate.host],
            gateways: [pulumi.interpolate`${gateway.metadata.namespace}/${gateway.metadata.name}`],
            http: [{ name: "operate", route: [{ destination: { host: args.operate.service, port: { number: args.operate.port } } }] }],
          },
        },
        { parent: this },
      );
    }

    // JWT rules act on the ingress gateway's pods, so they live in its namespace, shared by every stack: their
    // names carry namespace and component. The DENY rule is scoped to this stack's hosts (the public API's and
    // Operate's), other hosts are untouched.
    const ingressNamespace = args.ingressNamespace ?? "istio-system";
    const securityName = pulumi.output(args.namespace).apply((namespace) => clusterScopedName(namespace, args.component, "public-api"));
    const hosts = [args.host, ...(args.operate ? [args.operate.host] : [])];
    const protectedHosts = [{ operation: { hosts: hosts.flatMap((host) => [host, `${host}:*`]) } }];
    const securityMeta = { namespace: ingressNamespace, labels: labels(args.component, "ingress"), name: securityName };
    new k8s.apiextensions.CustomResource(
      `${name}-requestauthentication`,
      {
        apiVersion: "security.istio.io/v1",
        kind: "RequestAuthentication",
        metadata: securityMeta,
        spec: {
          selector: { matchLabels: selector },
          // No `audiences` here: a RequestAuthentication acts on every host of the gateway, and would turn away a
          // token of this issuer meant for another app. The audience is checked for this host below.
          jwtRules: [{ issuer: args.jwt.issuer, jwksUri: args.jwt.jwksUri }],
        },
      },
      { parent: this },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-authorizationpolicy`,
      {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: securityMeta,
        spec: {
          selector: { matchLabels: selector },
          action: "DENY",
          // A principal is `<iss>/<sub>`: a valid token of another issuer the gateway knows does not pass either.
          // The Operate host, when exposed, follows the same rules.
          rules: [
            { from: [{ source: { notRequestPrincipals: [`${args.jwt.issuer}/*`] } }], to: protectedHosts },
            ...(args.jwt.audiences?.length ? [{ to: protectedHosts, when: [{ key: "request.auth.audiences", notValues: args.jwt.audiences }] }] : []),
          ],
        },
      },
      { parent: this },
    );
    this.url = pulumi.output(`https://${args.host}`);
    this.operateUrl = pulumi.output(args.operate ? `https://${args.operate.host}${args.operate.path}` : undefined);
    this.registerOutputs({ url: this.url, operateUrl: this.operateUrl });
  }
}
