import Ajv from "ajv";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { UPSTREAM_DIR } from "./crd-schemas";

/** The chart copy the tests check against (test/upstream/README.md). */
export const CHART_DIR = path.join(UPSTREAM_DIR, "camunda-platform-13.12.7");

type Values = Record<string, unknown>;
const isMap = (value: unknown): value is Values => value !== null && typeof value === "object" && !Array.isArray(value);

/** The chart's `values.yaml`. */
export function upstreamValues(): Values {
  return parseYaml(fs.readFileSync(path.join(CHART_DIR, "values.yaml"), "utf8")) as Values;
}

/** The chart's version, from its `Chart.yaml`. */
export function upstreamChartVersion(): string {
  return String((parseYaml(fs.readFileSync(path.join(CHART_DIR, "Chart.yaml"), "utf8")) as { version: unknown }).version);
}

/** The chart's values.schema.json. */
export function upstreamValuesSchema(): Values {
  return JSON.parse(fs.readFileSync(path.join(CHART_DIR, "values.schema.json"), "utf8")) as Values;
}

/**
 * Paths of `emitted` that neither the chart's values.yaml nor its values.schema.json (which documents a few
 * keys values.yaml leaves out, e.g. `defaultRoles.admin.clients`) has. A map is walked key by key; a list or
 * a scalar is a leaf (its shape is the schema's business); an empty map upstream (`podLabels: {}`) takes any
 * key. The schema does not forbid unknown keys, so a misspelt key would pass it unnoticed.
 */
export function unknownValuesKeys(emitted: Values, upstream: Values, schema: Values = upstreamValuesSchema(), prefix = ""): string[] {
  const unknown: string[] = [];
  const documented = isMap(schema.properties) ? schema.properties : {};
  for (const [key, value] of Object.entries(emitted)) {
    const where = prefix ? `${prefix}.${key}` : key;
    const keySchema = isMap(documented[key]) ? (documented[key] as Values) : {};
    if (!(key in upstream) && !(key in documented)) {
      unknown.push(where);
      continue;
    }
    const theirs = key in upstream ? upstream[key] : keySchema.type === "object" ? {} : keySchema.type;
    const open = isMap(theirs) && Object.keys(theirs).length === 0 && !isMap(keySchema.properties);
    if (isMap(value) && isMap(theirs) && !open) unknown.push(...unknownValuesKeys(value, theirs, keySchema, where));
    else if (isMap(value) && !isMap(theirs) && theirs !== null && theirs !== undefined) {
      unknown.push(`${where} (a map here, ${Array.isArray(theirs) ? "a list" : typeof theirs} in the chart)`);
    }
  }
  return unknown;
}

/** The chart's schema says `nullable` (an OpenAPI keyword) beside no `type` in places, which Ajv refuses to compile; it adds nothing there. */
function withoutUntypedNullable(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutUntypedNullable);
  if (!isMap(schema)) return schema;
  const entries = Object.entries(schema).filter(([key]) => !(key === "nullable" && schema.type === undefined));
  return Object.fromEntries(entries.map(([key, value]) => [key, withoutUntypedNullable(value)]));
}

let schemaValidator: ReturnType<Ajv["compile"]> | undefined;

/** Problems of `values` against the chart's values.schema.json, as `path: message` lines. */
export function valuesSchemaProblems(values: Values): string[] {
  if (!schemaValidator) {
    schemaValidator = new Ajv({ allErrors: true, strict: false }).compile(withoutUntypedNullable(upstreamValuesSchema()) as object);
  }
  return schemaValidator(values) ? [] : (schemaValidator.errors ?? []).map((e) => `${e.instancePath || "(root)"}: ${e.message ?? e.keyword}`);
}
