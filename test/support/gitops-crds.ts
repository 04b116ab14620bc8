// Validation against upstream CustomResourceDefinitions (test/upstream/gitops/<project-version>/*.yaml), for API versions no
// CommonJS kubernetes-models package has: the newest @kubernetes-models/flux-cd and external-secrets
// majors (which have helm.toolkit.fluxcd.io/v2 and external-secrets.io/v1) are ESM-only and declare
// Node >= 22; their CommonJS majors stop at helm v2beta2 and external-secrets v1beta1, which the
// current controllers no longer serve.
import Ajv, { ValidateFunction } from "ajv";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";

const UPSTREAM_DIR = path.join(__dirname, "..", "upstream", "gitops");

type Schema = Record<string, unknown>;

/**
 * Like the API server's strict field validation: an object schema with `properties` admits no other
 * field unless it says so (`additionalProperties`, `x-kubernetes-preserve-unknown-fields`).
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== "object") return schema;
  const result: Schema = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === "enum" || k === "default" || k === "example" ? v : strict(v)]));
  if (result.properties && result.additionalProperties === undefined && !result["x-kubernetes-preserve-unknown-fields"]) result.additionalProperties = false;
  return result;
}

interface CrdVersion {
  name: string;
  served: boolean;
  schema?: { openAPIV3Schema: Schema };
}
interface Crd {
  spec: { group: string; names: { kind: string }; versions: CrdVersion[] };
}

let validators: Map<string, { validate: ValidateFunction; file: string }> | undefined;

function load(): Map<string, { validate: ValidateFunction; file: string }> {
  if (validators) return validators;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  validators = new Map();
  const files = fs
    .readdirSync(UPSTREAM_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      fs
        .readdirSync(path.join(UPSTREAM_DIR, d.name))
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => path.join(d.name, f)),
    );
  for (const file of files) {
    const crd = parseYaml(fs.readFileSync(path.join(UPSTREAM_DIR, file), "utf8")) as Crd;
    for (const version of crd.spec.versions.filter((v) => v.served && v.schema)) {
      const schema = strict(version.schema!.openAPIV3Schema) as Schema;
      // metadata is the API server's ObjectMeta, not part of the CRD schema.
      (schema.properties as Schema).metadata = { type: "object" };
      validators.set(`${crd.spec.group}/${version.name} ${crd.spec.names.kind}`, { validate: ajv.compile(schema), file: `test/upstream/gitops/${file}` });
    }
  }
  return validators;
}

/** Whether an upstream CRD serves this apiVersion and kind. */
export function hasUpstreamCrd(apiVersion: string, kind: string): boolean {
  return load().has(`${apiVersion} ${kind}`);
}

/** Validates against the served version's schema; throws with every failing path. Returns the CRD file used. */
export function validateAgainstCrd(object: Record<string, unknown>): string {
  const key = `${String(object.apiVersion)} ${String(object.kind)}`;
  const entry = load().get(key);
  if (!entry) throw new Error(`no served upstream CRD version for ${key} in test/upstream`);
  const { status: _status, ...rest } = object;
  if (!entry.validate(rest)) {
    const problems = (entry.validate.errors ?? []).map(
      (e) => `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`,
    );
    throw new Error(`${key} ${String((object.metadata as Schema | undefined)?.name)}: ${problems.join("; ")}`);
  }
  return entry.file;
}
