import { z } from "zod";
import { parseOrThrow } from "./validation";

/** The OAM component type this project implements. */
export const COMPONENT_TYPE = "camunda-orchestrator";

const applicationSchema = z.object({
  apiVersion: z.string().regex(/^core\.oam\.dev\//, "must be a core.oam.dev API version, e.g. core.oam.dev/v1beta1"),
  kind: z.literal("Application"),
  metadata: z.object({ name: z.string().min(1) }).loose(),
  spec: z.object({
    components: z.array(
      z.object({ name: z.string().min(1), type: z.string().min(1), properties: z.unknown().optional() }).loose(),
    ).min(1, "must list at least one component"),
  }).loose(),
}).loose();

export interface SelectedComponents {
  /** Application name from metadata.name. */
  application: string;
  /** Components of type camunda-orchestrator, properties not yet validated. */
  components: Array<{ name: string; properties: unknown }>;
  /** Components of other types, which this program does not create. */
  skipped: Array<{ name: string; type: string }>;
}

/** Picks the camunda-orchestrator components out of a parsed OAM Application document. */
export function selectComponents(document: unknown, source: string): SelectedComponents {
  const app = parseOrThrow(applicationSchema, document, `OAM Application ${source}`);
  const components: SelectedComponents["components"] = [];
  const skipped: SelectedComponents["skipped"] = [];
  for (const component of app.spec.components) {
    if (component.type === COMPONENT_TYPE) components.push({ name: component.name, properties: component.properties });
    else skipped.push({ name: component.name, type: component.type });
  }
  return { application: app.metadata.name, components, skipped };
}
