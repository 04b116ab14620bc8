import { ResourceValidationPolicy } from "@pulumi/policy";
import { settings, stackOf } from "../lib/settings";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const defaults = { productionStacks: ["prod", "production"] };

export const zeebeApiProtected: ResourceValidationPolicy = {
  name: "zeebe-api-protected",
  description:
    "In a production stack, an embedded Camunda (camunda-platform chart) keeps its API protected, as the chart " +
    "does by default: no orchestration.security.authentication.unprotectedApi: true, no method none, authorizations " +
    "on. Fix: set camundaAuth to basic or oidc (the default is basic).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      productionStacks: { type: "array", items: { type: "string" }, default: defaults.productionStacks, description: "Stack names this policy applies to." },
    },
  },
  validateResource: (args, reportViolation) => {
    if (args.type !== RELEASE || args.props?.chart !== "camunda-platform") return;
    const stack = stackOf(args.urn);
    if (!settings(args, defaults).productionStacks.includes(stack)) args.notApplicable(`stack "${stack}" is not a production stack`);
    const security = args.props?.values?.orchestration?.security ?? {};
    if (security.authentication?.unprotectedApi === true)
      reportViolation("orchestration.security.authentication.unprotectedApi: true leaves Zeebe's API open to anyone in the cluster.");
    if (security.authentication?.method === "none") reportViolation('orchestration.security.authentication.method "none" leaves Zeebe\'s API open.');
    if (security.authorizations?.enabled === false) reportViolation("orchestration.security.authorizations.enabled: false lets every client do anything.");
  },
};
