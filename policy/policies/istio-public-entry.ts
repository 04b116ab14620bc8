import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { kubeType } from "../lib/k8s";

/** Where the public API lives; everything a public entry point may route is under it. */
const PUBLIC_PREFIX = "/api/";

/** Why one http route of a gateway-bound VirtualService exposes more than the public API, or undefined. */
export function routeProblem(route: any, index: number): string | undefined {
  const matches: any[] = Array.isArray(route?.match) ? route.match : [];
  if (matches.length === 0) return `route ${index} has no match, so it routes every path (/metrics and /actuator/* included)`;
  for (const match of matches) {
    const uri = match?.uri ?? {};
    const path = typeof uri.exact === "string" ? uri.exact : typeof uri.prefix === "string" ? uri.prefix : undefined;
    if (path === undefined || !path.startsWith(PUBLIC_PREFIX)) return `route ${index} matches ${JSON.stringify(uri)}, outside ${PUBLIC_PREFIX}`;
  }
  return undefined;
}

/** The orchestration cluster's management port (chart 13.x `orchestration.service.managementPort`): /actuator lives there. */
const MANAGEMENT_PORT = 9600;
/** Knative's local gateway: a route through it reaches the worker, whose ops endpoints must stay inside. */
const KNATIVE_LOCAL_GATEWAY = "knative-local-gateway.istio-system.svc.cluster.local";

/**
 * The orchestration cluster's Service as chart 13.x names it (`orchestration.serviceName`: `<fullname>-gateway`),
 * on an explicit port other than its management port: the web apps' HTTP port.
 */
function isOrchestrationWebPort(destination: any): boolean {
  const host = destination?.host;
  if (typeof host !== "string" || host === KNATIVE_LOCAL_GATEWAY || !host.split(".")[0].endsWith("-gateway")) return false;
  const port = destination?.port?.number;
  return typeof port === "number" && port !== MANAGEMENT_PORT;
}

/**
 * An Operate entry (components/ingress.ts, label app.kubernetes.io/component: operate) serves the orchestration
 * cluster's web apps on a host of their own: every path, to the cluster's web port, never to the worker or a
 * management port. Its host still needs the JWT rule.
 */
function isOperateEntry(vs: PolicyResource): boolean {
  if (vs.props?.metadata?.labels?.["app.kubernetes.io/component"] !== "operate") return false;
  const destinations = (Array.isArray(vs.props?.spec?.http) ? vs.props.spec.http : []).flatMap((route: any) =>
    (Array.isArray(route?.route) ? route.route : []).map((r: any) => r?.destination),
  );
  return destinations.length > 0 && destinations.every(isOrchestrationWebPort);
}

const isKind = (r: PolicyResource, group: string, kind: string) => {
  const t = kubeType(r.type);
  return t?.group === group && t.kind === kind;
};

/** Hosts an AuthorizationPolicy denies to callers without a request principal (a valid JWT). */
function jwtProtectedHosts(policy: PolicyResource): string[] {
  const spec = policy.props?.spec ?? {};
  if (spec.action !== "DENY") return [];
  return (Array.isArray(spec.rules) ? spec.rules : []).flatMap((rule: any) => {
    const requiresJwt = (rule?.from ?? []).some((f: any) => Array.isArray(f?.source?.notRequestPrincipals) && f.source.notRequestPrincipals.length > 0);
    return requiresJwt ? (rule?.to ?? []).flatMap((t: any) => (Array.isArray(t?.operation?.hosts) ? t.operation.hosts : [])) : [];
  });
}

export const istioPublicEntry: StackValidationPolicy = {
  name: "istio-public-entry",
  description:
    "A VirtualService bound to an ingress Gateway routes only the public API (paths under /api/), never the ops " +
    "endpoints (/actuator/*, /metrics), and every host it serves requires a JWT (an AuthorizationPolicy that " +
    "denies requests without a request principal on that host); an Operate entry may route its whole host to the " +
    "orchestration cluster's web port. Fix: give every http route a uri match under " +
    "/api/, and configure gatewayJwtIssuer and gatewayJwksUri.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const protectedHosts = new Set(args.resources.filter((r) => isKind(r, "security.istio.io", "AuthorizationPolicy")).flatMap(jwtProtectedHosts));
    for (const vs of args.resources.filter((r) => isKind(r, "networking.istio.io", "VirtualService"))) {
      const gateways: string[] = Array.isArray(vs.props?.spec?.gateways) ? vs.props.spec.gateways : [];
      if (gateways.length === 0 || gateways.every((g) => g === "mesh")) continue;
      const routes: unknown[] = Array.isArray(vs.props?.spec?.http) ? vs.props.spec.http : [];
      if (!isOperateEntry(vs))
        routes.forEach((route, i) => {
          const problem = routeProblem(route, i);
          if (problem) reportViolation(`VirtualService "${vs.name}": ${problem}.`, vs.urn);
        });
      for (const host of Array.isArray(vs.props?.spec?.hosts) ? vs.props.spec.hosts : []) {
        if (!protectedHosts.has(host))
          reportViolation(
            `VirtualService "${vs.name}": host ${host} is public without a JWT requirement (no AuthorizationPolicy denies it to callers without a valid token).`,
            vs.urn,
          );
      }
    }
  },
};
