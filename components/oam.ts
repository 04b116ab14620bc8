import { z } from "zod";
import { parseOrThrow, strictObject, ValidationError } from "./validation";

/** The OAM component type this project implements. */
export const COMPONENT_TYPE = "camunda-orchestrator";

/**
 * Fields of a KubeVela Application component besides name, type and properties (kubevela
 * `apis/core.oam.dev/common/types.go`, ApplicationComponent, v1.11): accepted, but this program does not act on them.
 */
const IGNORED_COMPONENT_FIELDS = ["externalRevision", "dependsOn", "inputs", "outputs", "traits", "scopes"] as const;
/** Fields of a KubeVela ApplicationSpec besides components (`apis/core.oam.dev/v1beta1/application_types.go`). */
const IGNORED_SPEC_FIELDS = ["policies", "workflow"] as const;

const nameRule = "the component's name";
// Loose: components of other types may carry fields of newer KubeVela versions; the fields of this
// project's components are checked in `partition`.
const component = (defaultType?: string) =>
  z
    .object({
      name: z
        .string({ error: (issue) => (issue.input === undefined ? `is required: ${nameRule}` : `must be ${nameRule}, a string`) })
        .min(1, `must not be empty: ${nameRule}`),
      type:
        defaultType === undefined
          ? z
              .string({ error: (issue) => (issue.input === undefined ? `is required, e.g. type: ${COMPONENT_TYPE}` : "must be a string") })
              .min(1, `must not be empty, e.g. type: ${COMPONENT_TYPE}`)
          : z.string().min(1, `must not be empty, e.g. type: ${COMPONENT_TYPE}`).default(defaultType),
      properties: z.unknown().optional(),
    })
    .loose();
const COMPONENT_FIELDS = ["name", "type", "properties", ...IGNORED_COMPONENT_FIELDS];

const applicationSchema = z
  .object({
    apiVersion: z
      .string({ error: "must be a core.oam.dev API version, e.g. core.oam.dev/v1beta1" })
      .regex(/^core\.oam\.dev\//, "must be a core.oam.dev API version, e.g. core.oam.dev/v1beta1"),
    kind: z.literal("Application", { error: "must be Application (an OAM Application, apiVersion core.oam.dev/v1beta1)" }),
    metadata: z.object({ name: z.string({ error: "is required: the Application's name" }).min(1, "must not be empty: the Application's name") }).loose(),
    spec: strictObject({
      components: z.array(component(), { error: "must be a list of components ({name, type, properties})" }),
      ...Object.fromEntries(IGNORED_SPEC_FIELDS.map((field) => [field, z.unknown().optional()])),
    }),
  })
  .loose();

/** Components listed inline in stack config: the same fields, `type` defaulting to this project's type. */
const inlineComponentsSchema = z.array(component(COMPONENT_TYPE), { error: "must be a list of components ({name, type?, properties})" });

export interface SelectedComponents {
  /** Application name from metadata.name (empty for an inline list). */
  application: string;
  /** Components of type camunda-orchestrator, properties not yet validated. */
  components: Array<{ name: string; properties: unknown }>;
  /** Components of other types, which this program does not create. */
  skipped: Array<{ name: string; type: string }>;
  /** KubeVela fields present in the document that this program does not act on, one warning each place. */
  ignored: string[];
}

/** Picks the camunda-orchestrator components out of a parsed OAM Application document. */
export function selectComponents(document: unknown, source: string): SelectedComponents {
  const subject = `OAM Application ${source}`;
  if (document === null || document === undefined)
    throw new ValidationError([`${subject}: is empty; it must hold an OAM Application (apiVersion: core.oam.dev/v1beta1, kind: Application)`]);
  const app = parseOrThrow(applicationSchema, document, subject);
  const spec = app.spec as Record<string, unknown>;
  const ignoredSpec = IGNORED_SPEC_FIELDS.filter((field) => spec[field] !== undefined).map((field) => `spec.${field}`);
  const selected = partition(app.spec.components, source);
  if (ignoredSpec.length > 0) selected.ignored.unshift(`${subject}: ${ignoredFields(ignoredSpec)}`);
  return { ...selected, application: app.metadata.name };
}

/** The same for components listed inline in stack config (`components`), already parsed from JSON. */
export function selectInlineComponents(list: unknown, source: string): SelectedComponents {
  return { ...partition(parseOrThrow(inlineComponentsSchema, list, "stack config", source), source), application: "" };
}

type Component = { name: string; type: string; properties?: unknown } & Record<string, unknown>;

function partition(components: readonly Component[], source: string): SelectedComponents {
  const result: SelectedComponents = { application: "", components: [], skipped: [], ignored: [] };
  const problems: string[] = [];
  for (const c of components) {
    if (c.type === COMPONENT_TYPE) {
      const unknown = Object.keys(c).filter((field) => !COMPONENT_FIELDS.includes(field));
      if (unknown.length > 0) {
        problems.push(
          `component "${c.name}" in ${source}: unknown ${unknown.length > 1 ? "fields" : "field"} ${unknown.map((f) => `"${f}"`).join(", ")}; allowed: ${COMPONENT_FIELDS.join(", ")}`,
        );
        continue;
      }
      result.components.push({ name: c.name, properties: c.properties });
      const ignored = IGNORED_COMPONENT_FIELDS.filter((field) => c[field] !== undefined);
      if (ignored.length > 0) result.ignored.push(`component "${c.name}" in ${source}: ${ignoredFields(ignored)}`);
    } else if (isNearMiss(c.type)) {
      problems.push(
        `component "${c.name}" in ${source}: type: "${c.type}" is not a known type, but close to "${COMPONENT_TYPE}": did you mean "${COMPONENT_TYPE}"? ` +
          `(Components of other types are skipped, and skipping this one would leave its orchestrator out.)`,
      );
    } else {
      result.skipped.push({ name: c.name, type: c.type });
    }
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return result;
}

function ignoredFields(fields: readonly string[]): string {
  return `${fields.join(", ")}: KubeVela ${fields.length > 1 ? "fields" : "field"} this program does not act on; ignored (an orchestrator is configured by its properties and the stack config)`;
}

/**
 * A type that reads like this project's but is not it: the same letters with other case or separators
 * (`Camunda_Orchestrator`), or a few typing mistakes away (`camunda-orchestrater`, `camunda-orchestration`).
 */
export function isNearMiss(type: string): boolean {
  if (type === COMPONENT_TYPE) return false;
  const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
  return squash(type) === squash(COMPONENT_TYPE) || editDistance(type.toLowerCase(), COMPONENT_TYPE) <= 3;
}

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
