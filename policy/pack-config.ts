import { EnforcementLevel, Policies, PolicyPackConfig } from "@pulumi/policy";

const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

function typeMatches(schemaType: unknown, value: unknown): boolean {
  switch (schemaType) {
    case "string":
    case "boolean":
      return typeof value === schemaType;
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return Number.isInteger(value);
    case "array":
      return Array.isArray(value);
    default:
      return true;
  }
}

/**
 * Checks a parsed `--policy-pack-config` document against the pack: known policy names, valid levels, and
 * options the policy declares with the declared JSON type (array items included). Throws a message naming
 * the offending entry, as the Pulumi CLI rejects such a file.
 */
export function checkPackConfig(doc: unknown, policies: Policies): PolicyPackConfig {
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    throw new Error("policy config must be a JSON object keyed by policy name");
  }
  for (const [name, entry] of Object.entries(doc)) {
    const policy = policies.find((p) => p.name === name);
    if (!policy) throw new Error(`policy config: unknown policy "${name}" (known: ${policies.map((p) => p.name).join(", ")})`);
    if (typeof entry === "string") {
      if (!LEVELS.includes(entry as EnforcementLevel)) {
        throw new Error(`policy config: ${name}: level "${entry}" is not one of ${LEVELS.join(", ")}`);
      }
      continue;
    }
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
      throw new Error(`policy config: ${name}: expected a level or an object`);
    }
    for (const [key, value] of Object.entries(entry)) {
      if (key === "enforcementLevel") {
        if (!LEVELS.includes(value as EnforcementLevel)) {
          throw new Error(`policy config: ${name}.enforcementLevel "${value}" is not one of ${LEVELS.join(", ")}`);
        }
        continue;
      }
      const schema = policy.configSchema?.properties[key];
      if (!schema) throw new Error(`policy config: ${name} has no option "${key}"`);
      const items = schema.type === "array" && typeof schema.items === "object" && !Array.isArray(schema.items) ? schema.items : undefined;
      if (!typeMatches(schema.type, value) || (items && !(value as unknown[]).every((v) => typeMatches(items.type, v)))) {
        throw new Error(`policy config: ${name}.${key} must be ${schema.type === "array" ? `an array of ${items?.type}` : `of type ${schema.type}`}`);
      }
    }
  }
  return doc as PolicyPackConfig;
}
