// Pure checks of a process instance migration plan, before anything is sent to Zeebe: the mapping file,
// the two models (every mapped element exists and keeps its type), and each instance's active elements.
import { readFileSync } from "fs";

export interface MappingInstruction {
  sourceElementId: string;
  targetElementId: string;
}

/** A refusal: nothing has been migrated. */
export class PlanError extends Error {}

// bpmn-moddle ships no declarations "moduleResolution: node" can see; type the members used.
type El = { $type: string; id: string; flowElements?: El[]; rootElements?: El[] };
const { BpmnModdle } = require("bpmn-moddle") as { BpmnModdle: new () => { fromXML(xml: string): Promise<{ rootElement: El }> } };

/**
 * Reads the mapping file: a JSON object {"<source element id>": "<target element id>"} or a JSON array
 * of {"sourceElementId", "targetElementId"} (the shape of Zeebe's mapping instructions).
 */
export function readMapping(file: string): MappingInstruction[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new PlanError(`cannot read mapping file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PlanError(`mapping file ${file} is not JSON: ${(err as Error).message}`);
  }
  const isId = (v: unknown): v is string => typeof v === "string" && v.length > 0;
  const shape = `expected {"<source element id>": "<target element id>", ...} or [{"sourceElementId": "...", "targetElementId": "..."}, ...]`;
  let pairs: MappingInstruction[];
  if (Array.isArray(json)) {
    pairs = json.map((m, i) => {
      if (!m || !isId(m.sourceElementId) || !isId(m.targetElementId))
        throw new PlanError(`mapping file ${file}: entry ${i} is not {sourceElementId, targetElementId}; ${shape}`);
      return { sourceElementId: m.sourceElementId, targetElementId: m.targetElementId };
    });
  } else if (json && typeof json === "object") {
    pairs = Object.entries(json as Record<string, unknown>).map(([s, t]) => {
      if (!isId(t)) throw new PlanError(`mapping file ${file}: the target of "${s}" must be a non-empty string; ${shape}`);
      return { sourceElementId: s, targetElementId: t };
    });
  } else {
    throw new PlanError(`mapping file ${file}: ${shape}`);
  }
  const seen = new Set<string>();
  for (const p of pairs) {
    if (seen.has(p.sourceElementId)) throw new PlanError(`mapping file ${file}: source element "${p.sourceElementId}" is mapped twice`);
    seen.add(p.sourceElementId);
  }
  return pairs;
}

/** Element id -> BPMN type (e.g. bpmn:ServiceTask) of the flow elements of one process in a model. */
export async function elementTypes(xml: string, bpmnProcessId: string): Promise<Map<string, string>> {
  const { rootElement } = await new BpmnModdle().fromXML(xml);
  const proc = (rootElement.rootElements ?? []).find((e) => e.$type === "bpmn:Process" && e.id === bpmnProcessId);
  if (!proc) throw new PlanError(`the model has no process "${bpmnProcessId}"`);
  return new Map((proc.flowElements ?? []).filter((e) => e.$type !== "bpmn:SequenceFlow").map((e) => [e.id, e.$type]));
}

/** Problems of the mapping against both models; empty when every instruction is valid. */
export function checkMapping(mapping: MappingInstruction[], source: Map<string, string>, target: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const { sourceElementId: s, targetElementId: t } of mapping) {
    if (!source.has(s)) problems.push(`source element "${s}" does not exist in the source version`);
    if (!target.has(t)) problems.push(`target element "${t}" does not exist in the target version`);
    if (source.has(s) && target.has(t) && source.get(s) !== target.get(t)) {
      problems.push(`"${s}" (${source.get(s)}) is mapped to "${t}" of another type (${target.get(t)})`);
    }
  }
  const targets = mapping.map((m) => m.targetElementId);
  for (const t of new Set(targets.filter((t, i) => targets.indexOf(t) !== i))) {
    if (target.get(t)?.endsWith("Event")) problems.push(`catch event "${t}" is the target of more than one instruction`);
  }
  return problems;
}

/** Active elements of an instance that the mapping leaves out (Zeebe refuses such a migration). */
export function unmappedActive(active: string[], mapping: MappingInstruction[]): string[] {
  const mapped = new Set(mapping.map((m) => m.sourceElementId));
  return active.filter((id) => !mapped.has(id));
}
