import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { COMPONENT_TYPE, selectComponents } from "./oam";
import { OrchestratorSpec, validateComponents } from "./properties";
import { checkSettingsFor, CONFIG_NAMESPACE, parseStackSettings, StackSettings } from "./settings";
import { parseOrThrow, ValidationError } from "./validation";

/** What a stack's config asks for: settings, the orchestrators, and the components left out. */
export interface ResolvedStack {
  settings: StackSettings;
  specs: OrchestratorSpec[];
  skipped: Array<{ name: string; type: string }>;
  /** Where the components came from, for messages. */
  source: string;
}

const inlineComponentsSchema = z
  .array(z.object({ name: z.string().min(1), type: z.string().min(1).default(COMPONENT_TYPE), properties: z.unknown().optional() }).loose())
  .min(1, "must list at least one component");

/**
 * Resolves the project's config (keys without the `camunda-orchestrator:` namespace, values as strings)
 * into validated orchestrators. `baseDir` anchors a relative `application` path.
 */
export function resolveStack(raw: Record<string, string>, secretKeys: ReadonlySet<string>, baseDir: string): ResolvedStack {
  const settings = parseStackSettings(raw, secretKeys);
  let selected: { components: Array<{ name: string; properties: unknown }>; skipped: Array<{ name: string; type: string }> };
  let source: string;
  if (settings.application !== undefined && settings.components !== undefined) {
    throw new ValidationError([`stack config: set either ${CONFIG_NAMESPACE}:application or ${CONFIG_NAMESPACE}:components, not both`]);
  } else if (settings.application !== undefined) {
    source = settings.application;
    selected = selectComponents(readYamlFile(path.resolve(baseDir, settings.application)), settings.application);
  } else if (settings.components !== undefined) {
    source = `${CONFIG_NAMESPACE}:components`;
    const list = parseOrThrow(inlineComponentsSchema, JSON.parse(settings.components), "stack config", source);
    selected = {
      components: list.filter((c) => c.type === COMPONENT_TYPE).map((c) => ({ name: c.name, properties: c.properties })),
      skipped: list.filter((c) => c.type !== COMPONENT_TYPE).map((c) => ({ name: c.name, type: c.type })),
    };
  } else {
    throw new ValidationError([
      `stack config: no orchestrators: set ${CONFIG_NAMESPACE}:application to an OAM Application file, or ${CONFIG_NAMESPACE}:components to a list of components`,
    ]);
  }
  const specs = validateComponents(selected.components);
  checkSettingsFor(specs, settings);
  return { settings, specs, skipped: selected.skipped, source };
}

function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new ValidationError([`stack config: ${CONFIG_NAMESPACE}:application: cannot read ${file}; it must name an OAM Application YAML file`]);
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new ValidationError([`OAM Application ${file}: not valid YAML: ${(error as Error).message}`]);
  }
}
