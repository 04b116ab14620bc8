import { ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULT_SECRET_NAME_PATTERNS, NameRules, plaintextCredential } from "../lib/credentials";
import { containerLabel, containersOf, kubeType, podSpecOf } from "../lib/k8s";
import { settings } from "../lib/settings";
import { ORCHESTRATOR } from "../lib/types";

const defaults: NameRules = { secretNamePatterns: DEFAULT_SECRET_NAME_PATTERNS, allowedNames: [] };

const FIX = "keep it in a Kubernetes Secret (Pulumi secret config) and reference it with valueFrom.secretKeyRef";

export const noPlaintextCredentials: ResourceValidationPolicy = {
  name: "no-plaintext-credentials",
  description:
    "Container env values, ConfigMap data and the orchestrator's `environment` carry no credentials " +
    "(names like *_SECRET, *_PASSWORD, *_TOKEN, *_KEY, or values that look like one). Fix: " +
    FIX +
    ".",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      secretNamePatterns: {
        type: "array",
        items: { type: "string" },
        default: defaults.secretNamePatterns,
        description: "Case-insensitive regular expressions; a matching name with a non-empty value is reported.",
      },
      allowedNames: {
        type: "array",
        items: { type: "string" },
        default: defaults.allowedNames,
        description: "Exact names never reported (e.g. a non-secret CORRELATION_KEY).",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const rules = settings(args, defaults);
    const check = (where: string, name: unknown, value: unknown) => {
      if (typeof name !== "string" || typeof value !== "string") return;
      const why = plaintextCredential(name, value, rules);
      if (why) reportViolation(`${where} ${name} is written in plain text and ${why}: ${FIX}.`);
    };

    if (args.type === ORCHESTRATOR) {
      for (const [name, value] of Object.entries(args.props.environment ?? {})) {
        check("environment variable", name, value);
      }
      return;
    }
    const podSpec = podSpecOf(args.type, args.props);
    if (podSpec) {
      for (const c of containersOf(podSpec)) {
        for (const e of Array.isArray(c?.env) ? c.env : []) check(`${containerLabel(c)} env`, e?.name, e?.value);
      }
      return;
    }
    const t = kubeType(args.type);
    if (t?.group === "core" && t.kind === "ConfigMap") {
      for (const [key, value] of Object.entries(args.props.data ?? {})) check("ConfigMap key", key, value);
    }
  },
};
