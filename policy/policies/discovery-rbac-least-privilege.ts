import { ResourceValidationPolicy } from "@pulumi/policy";
import { kubeType } from "../lib/k8s";
import { settings } from "../lib/settings";

const defaults = { allowedVerbs: ["get", "list", "watch"], forbiddenRoles: ["cluster-admin"] };

/** What is too broad in one RBAC rule. */
export function ruleProblems(rule: any, allowedVerbs: string[]): string[] {
  const list = (x: unknown): string[] => (Array.isArray(x) ? x.map(String) : []);
  const problems: string[] = [];
  for (const field of ["verbs", "resources", "apiGroups", "resourceNames", "nonResourceURLs"]) {
    if (list(rule?.[field]).some((v) => v.includes("*"))) problems.push(`wildcard in ${field}`);
  }
  const extra = list(rule?.verbs).filter((v) => v !== "*" && !allowedVerbs.includes(v));
  if (extra.length > 0) problems.push(`verbs beyond ${allowedVerbs.join("/")}: ${extra.join(", ")}`);
  return problems;
}

export const discoveryRbacLeastPrivilege: ResourceValidationPolicy = {
  name: "discovery-rbac-least-privilege",
  description:
    "Discovery RBAC is least-privilege: no wildcard verbs, resources or API groups, only read verbs, and no " +
    "binding to cluster-admin. Fix: grant get/list/watch on services, endpoints and " +
    "discovery.k8s.io endpointslices by name, in a Role unless all namespaces are watched.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowedVerbs: { type: "array", items: { type: "string" }, default: defaults.allowedVerbs },
      forbiddenRoles: {
        type: "array",
        items: { type: "string" },
        default: defaults.forbiddenRoles,
        description: "ClusterRoles no binding may reference.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const t = kubeType(args.type);
    if (t?.group !== "rbac.authorization.k8s.io") return;
    const { allowedVerbs, forbiddenRoles } = settings(args, defaults);
    if (t.kind === "Role" || t.kind === "ClusterRole") {
      const rules: unknown[] = Array.isArray(args.props.rules) ? args.props.rules : [];
      rules.forEach((rule, i) => {
        const problems = ruleProblems(rule, allowedVerbs);
        if (problems.length > 0) reportViolation(`${t.kind} rule ${i}: ${problems.join("; ")}.`);
      });
      if (args.props.aggregationRule) {
        reportViolation(`${t.kind} uses an aggregationRule, which grants whatever matching roles grant.`);
      }
    }
    if (t.kind === "RoleBinding" || t.kind === "ClusterRoleBinding") {
      const ref = args.props.roleRef;
      if (ref?.kind === "ClusterRole" && forbiddenRoles.includes(ref?.name)) {
        reportViolation(`${t.kind} binds ClusterRole "${ref.name}"; bind the discovery Role instead.`);
      }
    }
  },
};
