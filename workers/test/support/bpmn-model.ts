// Static reading of a deployed BPMN model with bpmn-moddle and the zeebe extension schema: what the
// executing gateway peer needs to know about each element (job type, headers, boundary events,
// message subscriptions, compensation handlers), and a refusal of what the peer does not emulate.
import * as crypto from "crypto";

// bpmn-moddle ships no declarations "moduleResolution: node" can see; type the members used.

type El = { $type: string; id: string; [key: string]: any };
const { BpmnModdle } = require("bpmn-moddle") as {
  BpmnModdle: new (ext: object) => { fromXML(xml: string): Promise<ModdleContext> };
};
const zeebeSchema = require("zeebe-bpmn-moddle/resources/zeebe.json") as object;

export interface ModdleContext {
  rootElement: El;
  warnings: { message: string }[];
  [key: string]: unknown;
}

export type EventKind = "none" | "message" | "timer" | "error" | "compensate" | "signal" | "escalation" | "terminate" | "other";

export interface ElementInfo {
  id: string;
  /** Moddle type, e.g. bpmn:ServiceTask. */
  type: string;
  name?: string;
  /** zeebe:taskDefinition type (may be a FEEL expression "=..."). */
  taskType?: string;
  retries?: string;
  headers: Record<string, string>;
  event: EventKind;
  attachedTo?: string;
  cancelActivity?: boolean;
  /** Error boundary: the errorCode it catches; undefined catches every error. */
  errorCode?: string;
  /** Message catch (receive task, catch/boundary/start event): message name and correlation key expression. */
  messageName?: string;
  correlationKey?: string;
  /** For an activity with a compensation boundary: the id of its handler. */
  compensationHandler?: string;
  isForCompensation: boolean;
  /** Compensation throw event: the activity it names (activityRef), if any. */
  activityRef?: string;
  /** Compensation throw event: waitForCompletion (BPMN default true; Zeebe always waits). */
  isThrow: boolean;
}

export interface ProcessModel {
  bpmnProcessId: string;
  elements: Map<string, ElementInfo>;
  /** Message names of message start events. */
  messageStarts: string[];
  hasNoneStart: boolean;
}

export interface ParsedResource {
  processes: ProcessModel[];
  moddleContext: ModdleContext;
  checksum: string;
}

/** Thrown for a model the peer cannot emulate faithfully or Zeebe would reject. */
export class UnsupportedModelError extends Error {}

// Elements the peer refuses rather than emulate loosely (each would need scopes, multi-instance
// or variable mappings the peer does not model): a test relying on them must fail loudly.
const UNSUPPORTED: Record<string, string> = {
  "bpmn:SubProcess": "embedded and event subprocesses (variable and compensation scopes)",
  "bpmn:Transaction": "transaction subprocesses (Zeebe does not support them either)",
  "bpmn:CallActivity": "call activities",
  "bpmn:UserTask": "user tasks",
  "bpmn:BusinessRuleTask": "business rule tasks",
  "bpmn:ScriptTask": "script tasks",
  "bpmn:InclusiveGateway": "inclusive gateways",
  "bpmn:ComplexGateway": "complex gateways",
};

const ext = (el: El | undefined, type: string): El | undefined => el?.extensionElements?.values?.find((v: El) => v.$type === type);

function eventKind(el: El): EventKind {
  const def = el.eventDefinitions?.[0] as El | undefined;
  if (!def) return "none";
  const kinds: Record<string, EventKind> = {
    "bpmn:MessageEventDefinition": "message",
    "bpmn:TimerEventDefinition": "timer",
    "bpmn:ErrorEventDefinition": "error",
    "bpmn:CompensateEventDefinition": "compensate",
    "bpmn:SignalEventDefinition": "signal",
    "bpmn:EscalationEventDefinition": "escalation",
    "bpmn:TerminateEventDefinition": "terminate",
  };
  return kinds[def.$type] ?? "other";
}

function messageOf(el: El): El | undefined {
  if (el.$type === "bpmn:ReceiveTask") return el.messageRef;
  const def = el.eventDefinitions?.[0] as El | undefined;
  return def?.$type === "bpmn:MessageEventDefinition" ? def.messageRef : undefined;
}

function readProcess(proc: El): ProcessModel {
  const elements = new Map<string, ElementInfo>();
  const flowElements: El[] = proc.flowElements ?? [];
  const associations: El[] = (proc.artifacts ?? []).filter((a: El) => a.$type === "bpmn:Association");
  for (const el of flowElements) {
    if (UNSUPPORTED[el.$type]) throw new UnsupportedModelError(`${proc.id}/${el.id}: the gateway peer does not emulate ${UNSUPPORTED[el.$type]}`);
    if (el.loopCharacteristics) throw new UnsupportedModelError(`${proc.id}/${el.id}: the gateway peer does not emulate multi-instance activities`);
    if (ext(el, "zeebe:IoMapping")) throw new UnsupportedModelError(`${proc.id}/${el.id}: the gateway peer does not emulate zeebe:ioMapping (variable scopes)`);
    if (el.$type === "bpmn:SequenceFlow" || el.$type === "bpmn:DataObject" || el.$type === "bpmn:DataObjectReference") continue;
    const task = ext(el, "zeebe:TaskDefinition");
    const headers = Object.fromEntries(((ext(el, "zeebe:TaskHeaders")?.values ?? []) as El[]).map((h) => [h.key, h.value]));
    const message = messageOf(el);
    const def = el.eventDefinitions?.[0] as El | undefined;
    const kind = eventKind(el);
    const info: ElementInfo = {
      id: el.id,
      type: el.$type,
      name: el.name,
      taskType: task?.type,
      retries: task?.retries,
      headers,
      event: kind,
      attachedTo: el.attachedToRef?.id,
      cancelActivity: el.$type === "bpmn:BoundaryEvent" ? el.cancelActivity !== false : undefined,
      errorCode: kind === "error" ? def?.errorRef?.errorCode : undefined,
      messageName: message?.name,
      correlationKey: ext(message, "zeebe:Subscription")?.correlationKey,
      isForCompensation: el.isForCompensation === true,
      activityRef: kind === "compensate" ? def?.activityRef?.id : undefined,
      isThrow: el.$type === "bpmn:IntermediateThrowEvent" || el.$type === "bpmn:EndEvent",
    };
    if (task && el.$type !== "bpmn:ServiceTask" && el.$type !== "bpmn:SendTask") {
      throw new UnsupportedModelError(`${proc.id}/${el.id}: job workers on ${el.$type} are not emulated`);
    }
    elements.set(el.id, info);
  }
  // Compensation boundary -> association -> handler.
  for (const info of elements.values()) {
    if (info.type !== "bpmn:BoundaryEvent" || info.event !== "compensate" || !info.attachedTo) continue;
    const handler = associations.find((a) => a.sourceRef?.id === info.id)?.targetRef?.id;
    const activity = elements.get(info.attachedTo);
    if (handler && activity) activity.compensationHandler = handler;
  }
  const starts = [...elements.values()].filter((e) => e.type === "bpmn:StartEvent");
  return {
    bpmnProcessId: proc.id,
    elements,
    messageStarts: starts.filter((s) => s.event === "message" && s.messageName).map((s) => s.messageName!),
    hasNoneStart: starts.some((s) => s.event === "none"),
  };
}

export async function parseResource(xml: string): Promise<ParsedResource> {
  const moddleContext = await new BpmnModdle({ zeebe: zeebeSchema }).fromXML(xml);
  const processes = ((moddleContext.rootElement.rootElements ?? []) as El[])
    .filter((e) => e.$type === "bpmn:Process" && e.isExecutable !== false)
    .map(readProcess);
  if (processes.length === 0) throw new UnsupportedModelError("no executable process in the resource");
  return { processes, moddleContext, checksum: crypto.createHash("sha256").update(xml).digest("hex") };
}
