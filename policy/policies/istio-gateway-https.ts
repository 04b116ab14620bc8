import { ResourceValidationPolicy } from "@pulumi/policy";
import { kubeType } from "../lib/k8s";

const PLAIN_HTTP = ["HTTP", "HTTP2", "GRPC", "GRPC-WEB"];
const TERMINATING_MODES = ["SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL"];

/** What is wrong with one Gateway server, or undefined. */
export function serverProblem(server: any): string | undefined {
  const protocol = String(server?.port?.protocol ?? "").toUpperCase();
  const tls = server?.tls ?? {};
  if (protocol === "HTTPS") {
    if (!TERMINATING_MODES.includes(String(tls.mode))) return "HTTPS without tls.mode SIMPLE or MUTUAL";
    if (typeof tls.credentialName !== "string" || tls.credentialName === "") return "HTTPS without tls.credentialName";
    return undefined;
  }
  if (PLAIN_HTTP.includes(protocol)) return tls.httpsRedirect === true ? undefined : `plain ${protocol} that is not an httpsRedirect`;
  return `protocol "${protocol || "none"}" (only HTTPS, or HTTP as a redirect)`;
}

export const istioGatewayHttps: ResourceValidationPolicy = {
  name: "istio-gateway-https",
  description:
    "An Istio Gateway serves HTTPS with a tls.credentialName; plain HTTP only as tls.httpsRedirect. Fix: set " +
    "port.protocol HTTPS, tls.mode SIMPLE and tls.credentialName to the certificate Secret, and make any HTTP " +
    "server an httpsRedirect.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const t = kubeType(args.type);
    if (t?.group !== "networking.istio.io" || t.kind !== "Gateway") return;
    const servers: unknown[] = Array.isArray(args.props.spec?.servers) ? args.props.spec.servers : [];
    servers.forEach((s, i) => {
      const problem = serverProblem(s);
      if (problem) reportViolation(`Gateway server ${i}: ${problem}.`);
    });
    if (!servers.some((s: any) => String(s?.port?.protocol).toUpperCase() === "HTTPS")) {
      reportViolation("Gateway has no HTTPS server.");
    }
  },
};
