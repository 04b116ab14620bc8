// Which deployed processes the bridge can start idempotently: those with a message start event whose message is
// named start:<bpmnProcessId> (startMessageName). Read from the BPMN the worker deploys at start-up.
import { startMessageName } from "./start-message";

/** Any namespace prefix (bpmn:, bpmn2:, or none). */
const el = (name: string) => `<(?:[\\w.-]+:)?${name}\\b`;
const attr = (xml: string, name: string): string | undefined => new RegExp(`\\s${name}="([^"]*)"`).exec(xml)?.[1];

/** Message id → name, from the definitions' <bpmn:message> elements. */
function messageNames(xml: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of xml.matchAll(new RegExp(`${el("message")}[^>]*>`, "g"))) {
    const id = attr(m[0], "id");
    const name = attr(m[0], "name");
    if (id && name) names.set(id, name);
  }
  return names;
}

/** bpmnProcessIds of the models that have a message start event named startMessageName(id). */
export function processesStartedByMessage(models: { content: Buffer | string }[]): Set<string> {
  const found = new Set<string>();
  for (const model of models) {
    const xml = model.content.toString();
    const names = messageNames(xml);
    const processes = xml.matchAll(new RegExp(`${el("process")}[^>]*>[\\s\\S]*?<\\/(?:[\\w.-]+:)?process>`, "g"));
    for (const p of processes) {
      const id = attr(p[0].slice(0, p[0].indexOf(">")), "id");
      if (!id) continue;
      const startEvents = p[0].matchAll(new RegExp(`${el("startEvent")}(?:[^>]*/>|[\\s\\S]*?</(?:[\\w.-]+:)?startEvent>)`, "g"));
      for (const s of startEvents) {
        const refs = [...s[0].matchAll(/messageRef="([^"]+)"/g)].map((r) => names.get(r[1]));
        if (refs.includes(startMessageName(id))) found.add(id);
      }
    }
  }
  return found;
}
