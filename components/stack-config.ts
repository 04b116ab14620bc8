import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { COMPONENT_TYPE, selectComponents, selectInlineComponents, SelectedComponents } from "./oam";
import { OrchestratorSpec, validateComponents } from "./properties";
import { checkSettingsFor, CONFIG_NAMESPACE, parseStackSettings, StackSettings } from "./settings";
import { ValidationError } from "./validation";

/** What a stack's config asks for: settings, the orchestrators, and the components left out. */
export interface ResolvedStack {
  settings: StackSettings;
  specs: OrchestratorSpec[];
  skipped: Array<{ name: string; type: string }>;
  /** Where the components came from, for messages. */
  source: string;
  /** What the program leaves out, for the user to see: skipped components, KubeVela fields it does not act on. */
  warnings: string[];
}

const INLINE_EXAMPLE = `[{"name":"orders","properties":{"realtimePlatform":"shop-events"}}]`;

/**
 * Resolves the project's config (keys without the `camunda-orchestrator:` namespace, values as strings)
 * into validated orchestrators. `baseDir` anchors a relative `application` path.
 */
export function resolveStack(raw: Record<string, string>, secretKeys: ReadonlySet<string>, baseDir: string): ResolvedStack {
  const settings = parseStackSettings(raw, secretKeys);
  let selected: SelectedComponents;
  let source: string;
  if (settings.application !== undefined && settings.components !== undefined) {
    throw new ValidationError([`stack config: set either ${CONFIG_NAMESPACE}:application or ${CONFIG_NAMESPACE}:components, not both`]);
  } else if (settings.application !== undefined) {
    source = settings.application;
    selected = selectComponents(readApplicationFile(path.resolve(baseDir, settings.application), settings.application), settings.application);
  } else if (settings.components !== undefined) {
    source = `${CONFIG_NAMESPACE}:components`;
    selected = selectInlineComponents(parseInlineComponents(settings.components, source), source);
  } else {
    throw new ValidationError([
      `stack config: no orchestrators: set ${CONFIG_NAMESPACE}:application to an OAM Application file, or ${CONFIG_NAMESPACE}:components to a list of components`,
    ]);
  }
  const specs = validateComponents(selected.components);
  if (specs.length === 0 && !settings.allowNoOrchestrators) {
    const others = selected.skipped.map((c) => `"${c.name}" (${c.type})`).join(", ");
    throw new ValidationError([
      `${source}: has no component of type "${COMPONENT_TYPE}"${others ? `, only ${others}` : ""}. On a stack that has orchestrators, ` +
        `\`pulumi up\` would delete them. Add a component of type "${COMPONENT_TYPE}", or set ${CONFIG_NAMESPACE}:allowNoOrchestrators to true to deploy none on purpose`,
    ]);
  }
  checkSettingsFor(specs, settings);
  const warnings = [
    ...selected.skipped.map((c) => `component "${c.name}" in ${source} has type "${c.type}", not "${COMPONENT_TYPE}": skipped`),
    ...selected.ignored,
  ];
  return { settings, specs, skipped: selected.skipped, source, warnings };
}

/** `components` arrives as JSON text: from a YAML list in the stack file, or as typed on a command line. */
function parseInlineComponents(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError([
      `stack config: ${source}: not valid JSON (${(error as Error).message}); give a list of components, e.g. ${INLINE_EXAMPLE}, or a YAML list in the stack file`,
    ]);
  }
}

/** An OAM Application file holds one YAML document: the Application. `label` names it as the config does. */
function readApplicationFile(file: string, label: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new ValidationError([`stack config: ${CONFIG_NAMESPACE}:application: cannot read ${file}; it must name an OAM Application YAML file`]);
  }
  const documents = parseAllDocuments(text); // an empty stream for a file of comments only
  const errors = documents.flatMap((d) => d.errors);
  if (errors.length > 0) throw new ValidationError(errors.map((e) => `OAM Application ${label}: not valid YAML: ${e.message}`));
  const nonEmpty = documents.filter((d) => d.contents !== null);
  if (nonEmpty.length > 1) {
    const kinds = nonEmpty.map((d) => String((d.toJS() as { kind?: unknown } | null)?.kind ?? "no kind")).join(", ");
    throw new ValidationError([
      `OAM Application ${label}: holds ${nonEmpty.length} YAML documents (${kinds}); it must hold exactly one, the OAM Application: move the others to files of their own`,
    ]);
  }
  return nonEmpty[0]?.toJS() ?? null;
}
