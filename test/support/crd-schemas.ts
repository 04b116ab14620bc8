import Ajv, { ValidateFunction } from "ajv";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";

/** Where the upstream CRDs are (see test/upstream/README.md for their sources and versions). */
export const UPSTREAM_DIR = path.resolve(__dirname, "..", "upstream");

/** The upstream CRD files the render's custom resources are validated against. */
export const CRD_FILES = [
  "strimzi-1.2.0/043-Crd-kafkatopic.yaml",
  "strimzi-0.51.0/043-Crd-kafkatopic.yaml",
  "knative-serving-1.23.0/service.yaml",
  "istio-1.29.2/gateways.networking.istio.io.yaml",
  "istio-1.29.2/virtualservices.networking.istio.io.yaml",
  "istio-1.29.2/requestauthentications.security.istio.io.yaml",
  "istio-1.29.2/authorizationpolicies.security.istio.io.yaml",
  "prometheus-operator-0.93.0/monitoring.coreos.com_servicemonitors.yaml",
  "prometheus-operator-0.93.0/monitoring.coreos.com_prometheusrules.yaml",
] as const;

type Schema = Record<string, unknown>;

interface CrdVersion {
  name: string;
  served: boolean;
  schema?: { openAPIV3Schema?: Schema };
}

interface Crd {
  kind: string;
  spec: { group: string; names: { kind: string }; versions: CrdVersion[] };
}

/** One served version of one kind, compiled. */
export interface CrdSchema {
  /** `<group>/<version> <Kind>`. */
  key: string;
  /** The file it came from, for messages. */
  source: string;
  validate: ValidateFunction;
}

/**
 * The OpenAPI v3 schema of a CRD version as JSON Schema for Ajv, with the API server's structural-schema
 * semantics made explicit:
 * - an object with `properties` and no `x-kubernetes-preserve-unknown-fields` gets `additionalProperties:
 *   false`: the API server would prune an unknown field without an error, so the field would silently do
 *   nothing, which is a bug here;
 * - `x-kubernetes-int-or-string` becomes "integer or string";
 * - other `x-kubernetes-*` keys (list and map types, CEL validations) are dropped: Ajv cannot evaluate them.
 */
export function toJsonSchema(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith("x-kubernetes-")) continue;
    if (key === "properties" && value && typeof value === "object") {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, toJsonSchema(v)]));
    } else if ((key === "items" || key === "additionalProperties" || key === "not") && value && typeof value === "object") {
      out[key] = toJsonSchema(value as Schema);
    } else if ((key === "allOf" || key === "anyOf" || key === "oneOf") && Array.isArray(value)) {
      out[key] = (value as Schema[]).map(toJsonSchema);
    } else {
      out[key] = value;
    }
  }
  if (schema["x-kubernetes-int-or-string"] === true) {
    delete out.type;
    delete out.format;
    out.anyOf = [...((out.anyOf as Schema[] | undefined) ?? []), { type: "integer" }, { type: "string" }];
  }
  if (out.properties !== undefined && out.additionalProperties === undefined && schema["x-kubernetes-preserve-unknown-fields"] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/**
 * CRD patterns are Go regular expressions, whose inline flag `(?i)` JavaScript lacks. Where the CRDs use it,
 * only anchors precede it (e.g. `^(?i)(abort|warn)?$`), so making the whole expression case-insensitive is the same.
 */
function goRegExp(pattern: string, flags: string): RegExp {
  if (!pattern.includes("(?i)")) return new RegExp(pattern, flags);
  if (!/^\^?\(\?i\)/.test(pattern)) throw new Error(`CRD pattern ${pattern}: (?i) after other characters is not supported here`);
  return new RegExp(pattern.replace("(?i)", ""), flags + "i");
}
goRegExp.code = "goRegExp";

function newAjv(): Ajv {
  return new Ajv({
    allErrors: true,
    code: { regExp: goRegExp },
    // OpenAPI keywords (nullable) and descriptions the CRDs carry.
    strict: false,
    formats: {
      int32: { type: "number", validate: (n: number) => Number.isInteger(n) && n >= INT32.min && n <= INT32.max },
      int64: { type: "number", validate: (n: number) => Number.isSafeInteger(n) },
      double: { type: "number", validate: (n: number) => Number.isFinite(n) },
      byte: /^[A-Za-z0-9+/]*={0,2}$/,
      "date-time": /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/,
    },
  });
}

/** Reads a CRD file and compiles the schema of every served version. */
export function loadCrd(file: string): CrdSchema[] {
  const documents = parseAllDocuments(fs.readFileSync(path.join(UPSTREAM_DIR, file), "utf8")).map((d) => d.toJS() as Crd | null);
  const crds = documents.filter((d): d is Crd => d !== null && d.kind === "CustomResourceDefinition");
  if (crds.length !== 1) throw new Error(`${file}: expected one CustomResourceDefinition, found ${crds.length}`);
  const { group, names, versions } = crds[0].spec;
  const ajv = newAjv();
  return versions
    .filter((v) => v.served)
    .map((version) => {
      const openApi = version.schema?.openAPIV3Schema;
      if (!openApi) throw new Error(`${file}: version ${version.name} has no openAPIV3Schema`);
      // Every object has these at its root, whether or not the CRD's schema lists them.
      const root = toJsonSchema({
        ...openApi,
        properties: { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, ...(openApi.properties as object) },
      });
      return { key: `${group}/${version.name} ${names.kind}`, source: `${file} (${version.name})`, validate: ajv.compile(root) };
    });
}

let registry: Map<string, CrdSchema> | undefined;

/** Every served version of every upstream CRD, by `<group>/<version> <Kind>`; the first file listed wins. */
export function crdSchemas(): Map<string, CrdSchema> {
  if (!registry) {
    registry = new Map();
    for (const file of CRD_FILES) for (const schema of loadCrd(file)) if (!registry.has(schema.key)) registry.set(schema.key, schema);
  }
  return registry;
}

/** Ajv's errors as `path: message` lines. */
export function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map((e) => {
      const extra = e.keyword === "additionalProperties" ? ` "${String((e.params as { additionalProperty: string }).additionalProperty)}"` : "";
      return `${e.instancePath || "(root)"}: ${e.message ?? e.keyword}${extra}`;
    })
    .join("; ");
}
