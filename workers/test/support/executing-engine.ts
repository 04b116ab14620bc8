// The executing side of the gateway peer: process definitions, instances, jobs, messages,
// compensation and migration with Zeebe's documented semantics, on top of bpmn-engine (flow,
// gateways, boundary events, timers) with FEEL from feelin. Where bpmn-engine differs from Zeebe,
// this file decides (see README.md beside it): compensation handlers, start events, error catching,
// message correlation, variable propagation.
import { EventEmitter } from "events";
import { ElementInfo, parseResource, ProcessModel, UnsupportedModelError } from "./bpmn-model";
import { GatewayError, INVALID_ARGUMENT, newKey, NOT_FOUND, Variables } from "./gateway-error";
import { BufferedMessage, MessageBuffer, MessageRequest } from "./message-buffer";

// ESM packages with CommonJS builds / require(esm) on Node 20.19+; type the members used.

type Any = any;
const { Engine } = require("bpmn-engine") as { Engine: new (opts: Any) => Any };
const { evaluate: feelEvaluate } = require("feelin") as { evaluate(expr: string, ctx: Record<string, unknown>): { value: unknown; warnings: unknown[] } };
const { BpmnModdle } = require("bpmn-moddle") as { BpmnModdle: new (ext: object) => { fromXML(xml: string): Promise<Any> } };
const zeebeSchema = require("zeebe-bpmn-moddle/resources/zeebe.json") as object;

export { ALREADY_EXISTS, DEADLINE_EXCEEDED, FAILED_PRECONDITION, GatewayError, INVALID_ARGUMENT, newKey, NOT_FOUND } from "./gateway-error";
export type { Variables } from "./gateway-error";

/** What the engine asks of the job queue. */
export interface JobSink {
  createJob(job: EngineJob): string;
  cancelJob(jobKey: string): void;
}

export interface EngineJob {
  type: string;
  elementId: string;
  elementInstanceKey: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  processDefinitionKey: string;
  processDefinitionVersion: number;
  retries: number;
  customHeaders: Record<string, string>;
  /** Variables as of activation (Zeebe sends the current ones). */
  variables(): Variables;
  owner: JobOwner;
}

export interface JobOwner {
  complete(variables: Variables): void;
  /** Returns false when no boundary catches the error (the peer then records an incident). */
  error(errorCode: string, errorMessage: string, variables: Variables): boolean;
  incident(message: string): void;
}

export interface Definition {
  key: string;
  bpmnProcessId: string;
  version: number;
  resourceName: string;
  checksum: string;
  xml: string;
  model: ProcessModel;
  /** Parsed model per start: "none" or the id of a message start event. */
  contexts: Map<string, Any>;
}

export interface Incident {
  key: string;
  processInstanceKey: string;
  elementId: string;
  jobKey?: string;
  message: string;
  at: number;
}
export interface ElementEvent {
  elementId: string;
  type: string;
  event: "activated" | "completed" | "terminated";
  at: number;
}
export interface CompensationRun {
  handlerId: string;
  compensates: string;
  jobKey: string;
  started: number;
  completed?: number;
}

interface CompensationSubscription {
  elementId: string;
  handlerId: string;
  seq: number;
}
interface MessageSubscription {
  elementId: string;
  name: string;
  correlationKey: string;
  api: Any;
  executionId: string;
}

export type InstanceState = "ACTIVE" | "COMPLETED" | "CANCELED";

export class ProcessInstance {
  state: InstanceState = "ACTIVE";
  readonly variables: Variables = {};
  readonly elements: ElementEvent[] = [];
  readonly incidents: Incident[] = [];
  readonly compensations: CompensationRun[] = [];
  /** End events reached. */
  readonly endEvents: string[] = [];
  engine: Any;
  /** Completed activities with a compensation handler not yet compensated, in order of completion. */
  pendingCompensation: CompensationSubscription[] = [];
  readonly subscriptions = new Map<string, MessageSubscription>();
  /** Active jobs by engine execution id. */
  readonly jobs = new Map<string, { jobKey: string; elementId: string }>();
  readonly startedBy?: { messageName: string; correlationKey: string };
  private seq = 0;

  constructor(
    readonly key: string,
    public definition: Definition,
    startedBy?: { messageName: string; correlationKey: string },
  ) {
    this.startedBy = startedBy;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  /** Elements currently active (activated, not yet completed or terminated), by id. */
  activeElements(): string[] {
    const open = new Map<string, number>();
    for (const e of this.elements) open.set(e.elementId, (open.get(e.elementId) ?? 0) + (e.event === "activated" ? 1 : -1));
    return [...open].filter(([, n]) => n > 0).map(([id]) => id);
  }

  completed(elementId: string): boolean {
    return this.elements.some((e) => e.elementId === elementId && e.event === "completed");
  }
}

/** FEEL for "=..." values, the value itself otherwise (Zeebe's convention for expression attributes). */
export function feel(value: string | undefined, variables: Variables): unknown {
  if (value === undefined || !value.startsWith("=")) return value;
  const { value: result } = feelEvaluate(value.slice(1), variables);
  return result;
}

function shuffled<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** A moddle context of `xml` in which only the start event `keep` (or the none start events) remain. */
async function contextForStart(xml: string, model: ProcessModel, keep: string | "none"): Promise<Any> {
  const ctx = await new BpmnModdle({ zeebe: zeebeSchema }).fromXML(xml);
  const proc = ctx.rootElement.rootElements.find((e: Any) => e.$type === "bpmn:Process" && e.id === model.bpmnProcessId);
  const drop = new Set<string>();
  for (const el of proc.flowElements as Any[]) {
    if (el.$type !== "bpmn:StartEvent") continue;
    const isMessage = model.elements.get(el.id)?.event === "message";
    if (keep === "none" ? isMessage : el.id !== keep) drop.add(el.id);
  }
  for (const el of proc.flowElements as Any[]) if (el.$type === "bpmn:SequenceFlow" && drop.has(el.sourceRef?.id)) drop.add(el.id);
  proc.flowElements = proc.flowElements.filter((el: Any) => !drop.has(el.id));
  for (const el of proc.flowElements as Any[]) if (el.incoming) el.incoming = el.incoming.filter((f: Any) => !drop.has(f.id));
  return ctx;
}

export interface MigrationInstruction {
  sourceElementId: string;
  targetElementId: string;
}

export class ExecutingEngine extends EventEmitter {
  readonly definitions: Definition[] = [];
  readonly instances = new Map<string, ProcessInstance>();
  readonly incidents: Incident[] = [];
  private readonly messages = new MessageBuffer();

  constructor(
    private readonly jobs: JobSink,
    private readonly options: { shuffleCompensation?: boolean } = {},
  ) {
    super();
  }

  // ---- deployment -------------------------------------------------------------------------

  /** Like Zeebe: an unchanged resource keeps its version; a changed one becomes version n+1. */
  async deploy(resourceName: string, xml: string): Promise<Definition[]> {
    let parsed;
    try {
      parsed = await parseResource(xml);
    } catch (err) {
      const why = err instanceof UnsupportedModelError ? err.message : `not a valid BPMN model: ${(err as Error).message}`;
      throw new GatewayError(INVALID_ARGUMENT, `Command 'CREATE' rejected with code 'INVALID_ARGUMENT': ${resourceName}: ${why}`);
    }
    const out: Definition[] = [];
    for (const model of parsed.processes) {
      const latest = this.latest(model.bpmnProcessId);
      if (latest && latest.checksum === parsed.checksum) {
        out.push(latest);
        continue;
      }
      const contexts = new Map<string, Any>();
      if (model.hasNoneStart) contexts.set("none", await contextForStart(xml, model, "none"));
      for (const el of model.elements.values()) {
        if (el.type === "bpmn:StartEvent" && el.event === "message") contexts.set(el.id, await contextForStart(xml, model, el.id));
      }
      const def: Definition = {
        key: newKey(),
        bpmnProcessId: model.bpmnProcessId,
        version: (latest?.version ?? 0) + 1,
        resourceName,
        checksum: parsed.checksum,
        xml,
        model,
        contexts,
      };
      this.definitions.push(def);
      out.push(def);
    }
    return out;
  }

  latest(bpmnProcessId: string): Definition | undefined {
    return this.definitions.filter((d) => d.bpmnProcessId === bpmnProcessId).sort((a, b) => b.version - a.version)[0];
  }

  definitionByKey(key: string): Definition | undefined {
    return this.definitions.find((d) => d.key === key);
  }

  // ---- instances --------------------------------------------------------------------------

  createInstance(req: { bpmnProcessId?: string; version?: number; processDefinitionKey?: string; variables: Variables }): ProcessInstance {
    const def = this.resolveDefinition(req);
    if (!def.contexts.has("none")) {
      throw new GatewayError(
        INVALID_ARGUMENT,
        `Expected to create instance of process with none start event, but there is no such event (process '${def.bpmnProcessId}')`,
      );
    }
    return this.start(def, "none", req.variables);
  }

  private resolveDefinition(req: { bpmnProcessId?: string; version?: number; processDefinitionKey?: string }): Definition {
    if (req.processDefinitionKey && req.processDefinitionKey !== "0") {
      const d = this.definitionByKey(req.processDefinitionKey);
      if (!d) throw new GatewayError(NOT_FOUND, `Expected to find process definition with key '${req.processDefinitionKey}', but none found`);
      return d;
    }
    const id = req.bpmnProcessId ?? "";
    const d =
      req.version !== undefined && req.version > 0 ? this.definitions.find((x) => x.bpmnProcessId === id && x.version === req.version) : this.latest(id);
    if (!d) throw new GatewayError(NOT_FOUND, `Expected to find process definition with process ID '${id}', but none found`);
    return d;
  }

  private start(def: Definition, startWith: string, variables: Variables, startedBy?: { messageName: string; correlationKey: string }): ProcessInstance {
    const instance = new ProcessInstance(newKey(), def, startedBy);
    Object.assign(instance.variables, variables);
    this.instances.set(instance.key, instance);
    this.emit("started", instance, { ...variables });
    this.run(instance, def.contexts.get(startWith));
    return instance;
  }

  /** Runs (or, with `state`, resumes) the instance's definition in a fresh bpmn-engine. */
  private run(instance: ProcessInstance, moddleContext: Any, state?: Any): void {
    const engine = new Engine({
      name: instance.key,
      moddleContext,
      moddleOptions: { zeebe: zeebeSchema },
      elements: { CompensateEventDefinition: this.compensateEventDefinition(instance) },
      expressions: {
        resolveExpression: (expr: unknown) => (typeof expr === "string" ? feel(expr, instance.variables) : expr),
        isExpression: (s: unknown) => typeof s === "string" && s.startsWith("="),
        hasExpression: (s: unknown) => typeof s === "string" && s.startsWith("="),
      },
      extensions: { zeebe: (activity: Any) => this.attachJobBehaviour(instance, activity) },
      settings: { strict: false },
    });
    instance.engine = engine;
    const listener = new EventEmitter();
    listener.on("activity.start", (api: Any) => this.onElement(instance, api, "activated"));
    listener.on("activity.end", (api: Any) => this.onElement(instance, api, "completed"));
    listener.on("activity.discard", (api: Any) => this.onDiscard(instance, api));
    listener.on("activity.leave", (api: Any) => this.onLeave(instance, api));
    listener.on("activity.wait", (api: Any) => this.onWait(instance, api));
    engine.on("end", () => this.finish(instance, "COMPLETED"));
    engine.on("error", (err: Error) => this.incident(instance, "(engine)", `bpmn-engine error: ${err.message}`));
    if (state) {
      engine.recover(state);
      engine.resume({ listener });
    } else {
      engine.execute({ listener }).catch?.((err: Error) => this.incident(instance, "(engine)", `bpmn-engine error: ${err.message}`));
    }
  }

  private onElement(instance: ProcessInstance, api: Any, event: "activated" | "completed"): void {
    if (instance.state !== "ACTIVE" || !instance.definition.model.elements.has(api.id)) return;
    const info = instance.definition.model.elements.get(api.id)!;
    // A boundary event is an element instance in Zeebe only once it triggers.
    if (info.type === "bpmn:BoundaryEvent") {
      if (event === "activated") return;
      instance.elements.push({ elementId: api.id, type: info.type, event: "activated", at: Date.now() });
    }
    instance.elements.push({ elementId: api.id, type: info.type, event, at: Date.now() });
    if (event === "completed") {
      if (info.compensationHandler) instance.pendingCompensation.push({ elementId: info.id, handlerId: info.compensationHandler, seq: instance.nextSeq() });
      if (info.type === "bpmn:EndEvent") instance.endEvents.push(info.id);
      this.closeSubscriptions(instance, api.id);
    }
    this.emit("changed", instance);
  }

  /** An element that leaves without completing (interrupted by a boundary event, discarded) is terminated. */
  private onDiscard(instance: ProcessInstance, api: Any): void {
    if (instance.state === "ACTIVE" && instance.activeElements().includes(api.id)) {
      const info = instance.definition.model.elements.get(api.id);
      instance.elements.push({ elementId: api.id, type: info?.type ?? "", event: "terminated", at: Date.now() });
      this.emit("changed", instance);
    }
    this.closeSubscriptions(instance, api.id);
  }

  private onLeave(instance: ProcessInstance, api: Any): void {
    this.onDiscard(instance, api);
  }

  private finish(instance: ProcessInstance, state: InstanceState): void {
    if (instance.state !== "ACTIVE") return;
    instance.state = state;
    for (const { jobKey } of instance.jobs.values()) this.jobs.cancelJob(jobKey);
    instance.jobs.clear();
    instance.subscriptions.clear();
    this.emit("changed", instance);
  }

  cancel(processInstanceKey: string): void {
    const instance = this.instances.get(processInstanceKey);
    if (!instance || instance.state !== "ACTIVE") {
      throw new GatewayError(NOT_FOUND, `Expected to cancel a process instance with key '${processInstanceKey}', but no such process was found`);
    }
    instance.engine.stop();
    for (const id of instance.activeElements()) {
      instance.elements.push({ elementId: id, type: instance.definition.model.elements.get(id)?.type ?? "", event: "terminated", at: Date.now() });
    }
    this.finish(instance, "CANCELED");
  }

  private incident(instance: ProcessInstance, elementId: string, message: string, jobKey?: string): void {
    const inc: Incident = { key: newKey(), processInstanceKey: instance.key, elementId, jobKey, message, at: Date.now() };
    instance.incidents.push(inc);
    this.incidents.push(inc);
    this.emit("changed", instance);
  }

  // ---- jobs -------------------------------------------------------------------------------

  /** Service and send tasks with a zeebe:taskDefinition become jobs; the engine waits for them. */
  private attachJobBehaviour(instance: ProcessInstance, activity: Any): undefined {
    const info = instance.definition.model.elements.get(activity.id);
    if (!info?.taskType || info.isForCompensation) return undefined;
    // bpmn-elements constructs it with `new`: a plain function returning the service object, whose own `this`
    // is not the engine.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const engine = this;
    activity.behaviour.Service = function ZeebeJobService() {
      let executionId = "";
      return {
        execute: (msg: Any, callback: (err: Error | null, output?: unknown) => void) => {
          executionId = msg.content.executionId;
          const existing = instance.jobs.get(executionId);
          if (existing) return engine.rewireJob(instance, existing.jobKey, info, callback);
          const jobKey = engine.createJob(instance, info, {
            complete: (vars) => {
              instance.jobs.delete(executionId);
              Object.assign(instance.variables, vars);
              callback(null, vars);
            },
            error: (code, message, vars) => {
              const catcher = engine.errorCatcher(instance, info.id, code);
              if (!catcher) return false;
              instance.jobs.delete(executionId);
              Object.assign(instance.variables, vars);
              callback(Object.assign(new Error(message || code), { code }));
              return true;
            },
          });
          instance.jobs.set(executionId, { jobKey, elementId: info.id });
        },
        discard: () => engine.dropJob(instance, executionId),
        stop: () => undefined,
      };
    };
    return undefined;
  }

  private readonly rewiring = new Map<string, (owner: Pick<JobOwner, "complete" | "error">) => void>();

  /** After a migration the engine executes the active task again: keep its job (Zeebe does not recreate jobs). */
  private rewireJob(instance: ProcessInstance, jobKey: string, info: ElementInfo, callback: (err: Error | null, output?: unknown) => void): void {
    const rewire = this.rewiring.get(jobKey);
    rewire?.({
      complete: (vars) => {
        for (const [exec, j] of instance.jobs) if (j.jobKey === jobKey) instance.jobs.delete(exec);
        Object.assign(instance.variables, vars);
        callback(null, vars);
      },
      error: (code, message, vars) => {
        if (!this.errorCatcher(instance, info.id, code)) return false;
        for (const [exec, j] of instance.jobs) if (j.jobKey === jobKey) instance.jobs.delete(exec);
        Object.assign(instance.variables, vars);
        callback(Object.assign(new Error(message || code), { code }));
        return true;
      },
    });
  }

  private createJob(instance: ProcessInstance, info: ElementInfo, handlers: Pick<JobOwner, "complete" | "error">): string {
    let current = handlers;
    const def = instance.definition;
    const type = String(feel(info.taskType, instance.variables));
    const retries = Number(feel(info.retries ?? "3", instance.variables)) || 3;
    const owner: JobOwner = {
      complete: (vars) => current.complete(vars),
      error: (code, message, vars) => {
        if (current.error(code, message, vars)) return true;
        this.incident(
          instance,
          info.id,
          `Expected to throw an error event with the code '${code}' with message '${message}', but it was not caught. No error events are available in the scope.`,
          jobKey,
        );
        return false;
      },
      incident: (message) => this.incident(instance, info.id, message, jobKey),
    };
    const jobKey = this.jobs.createJob({
      type,
      elementId: info.id,
      elementInstanceKey: newKey(),
      processInstanceKey: instance.key,
      bpmnProcessId: def.bpmnProcessId,
      processDefinitionKey: def.key,
      processDefinitionVersion: def.version,
      retries,
      customHeaders: info.headers,
      variables: () => ({ ...instance.variables }),
      owner,
    });
    this.rewiring.set(jobKey, (h) => (current = h));
    return jobKey;
  }

  private dropJob(instance: ProcessInstance, executionId: string): void {
    const job = instance.jobs.get(executionId);
    if (!job) return;
    instance.jobs.delete(executionId);
    this.rewiring.delete(job.jobKey);
    this.jobs.cancelJob(job.jobKey);
  }

  /** Zeebe looks for an error catch event in the scope of the task: here, its own error boundaries. */
  private errorCatcher(instance: ProcessInstance, elementId: string, code: string): ElementInfo | undefined {
    const boundaries = [...instance.definition.model.elements.values()].filter((e) => e.attachedTo === elementId && e.event === "error");
    return boundaries.find((b) => b.errorCode === code) ?? boundaries.find((b) => b.errorCode === undefined);
  }

  // ---- compensation (Zeebe semantics, not bpmn-engine's) ------------------------------------

  /**
   * Replaces bpmn-elements' CompensateEventDefinition. Catch side (compensation boundary): inert;
   * the engine records completed activities itself. Throw side: asks the engine to run the handlers
   * of COMPLETED activities (all of the scope, or the one named by activityRef), each once, all at
   * once in no order, and completes only when every handler has completed (Zeebe 8.8).
   */
  private compensateEventDefinition(instance: ProcessInstance): Any {
    // The definition is constructed with `new` by bpmn-elements, so its `this` is the definition, not the engine.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const engine = this;
    return function ZeebeCompensateEventDefinition(this: Any, activity: Any, eventDefinition: Any) {
      this.id = activity.id;
      this.type = eventDefinition.type;
      this.activity = activity;
      this.broker = activity.broker;
      this.isThrowing = activity.isThrowing;
      this.execute = (executeMessage: Any) => {
        const content = executeMessage.content;
        const broker = activity.broker;
        const tag = `_zeebe-compensate-${content.executionId}`;
        let done = false;
        broker.subscribeTmp(
          "api",
          `activity.#.${content.executionId}`,
          (_: string, msg: Any) => {
            const t = msg.properties.type;
            if (t === "discard" || t === "stop") {
              done = true;
              broker.cancel(tag);
              if (t === "discard") broker.publish("execution", "execute.discard", { ...content });
            }
          },
          { noAck: true, consumerTag: tag },
        );
        if (!this.isThrowing) return; // boundary: waits until its activity leaves (then discarded)
        engine.throwCompensation(instance, activity.id, () => {
          if (done) return;
          broker.cancel(tag);
          broker.publish("execution", "execute.completed", { ...content });
        });
      };
    };
  }

  private throwCompensation(instance: ProcessInstance, throwId: string, completed: () => void): void {
    const ref = instance.definition.model.elements.get(throwId)?.activityRef;
    const selected = instance.pendingCompensation.filter((s) => !ref || s.elementId === ref);
    instance.pendingCompensation = instance.pendingCompensation.filter((s) => !selected.includes(s));
    if (selected.length === 0) {
      setImmediate(completed);
      return;
    }
    let open = selected.length;
    const order = this.options.shuffleCompensation === false ? selected : shuffled(selected);
    for (const sub of order) {
      const handler = instance.definition.model.elements.get(sub.handlerId)!;
      instance.elements.push({ elementId: handler.id, type: handler.type, event: "activated", at: Date.now() });
      const run: CompensationRun = { handlerId: handler.id, compensates: sub.elementId, jobKey: "", started: Date.now() };
      run.jobKey = this.createJob(instance, handler, {
        complete: (vars) => {
          instance.jobs.delete(`compensation-${run.jobKey}`);
          Object.assign(instance.variables, vars);
          run.completed = Date.now();
          instance.elements.push({ elementId: handler.id, type: handler.type, event: "completed", at: Date.now() });
          this.emit("changed", instance);
          if (--open === 0 && instance.state === "ACTIVE") completed();
        },
        error: () => false, // a compensation handler has no error boundary: an incident
      });
      instance.compensations.push(run);
      instance.jobs.set(`compensation-${run.jobKey}`, { jobKey: run.jobKey, elementId: handler.id });
    }
    this.emit("changed", instance);
  }

  // ---- messages ---------------------------------------------------------------------------

  private onWait(instance: ProcessInstance, api: Any): void {
    const info = instance.definition.model.elements.get(api.id);
    if (!info?.messageName || instance.state !== "ACTIVE") return;
    if (info.type === "bpmn:StartEvent") {
      // The message start event of an instance created by a message: the message is already here.
      api.signal({ id: api.id });
      return;
    }
    const name = String(feel(info.messageName, instance.variables));
    const key = feel(info.correlationKey, instance.variables);
    if (typeof key !== "string" && typeof key !== "number") {
      this.incident(
        instance,
        info.id,
        `Failed to extract the correlation key for '${info.correlationKey}': The value must be either a string or a number, but was '${JSON.stringify(key ?? null)}'.`,
      );
      return;
    }
    const sub: MessageSubscription = { elementId: info.id, name, correlationKey: String(key), api, executionId: api.executionId };
    instance.subscriptions.set(info.id, sub);
    const pending = this.messages.find(
      (m) => m.name === name && m.correlationKey === sub.correlationKey && !m.correlatedTo.has(instance.definition.bpmnProcessId),
    );
    if (pending) this.correlate(instance, sub, pending);
  }

  private closeSubscriptions(instance: ProcessInstance, elementId: string): void {
    instance.subscriptions.delete(elementId);
    for (const [id, sub] of instance.subscriptions) {
      if (instance.definition.model.elements.get(id)?.attachedTo === elementId) instance.subscriptions.delete(sub.elementId);
    }
  }

  private correlate(instance: ProcessInstance, sub: MessageSubscription, msg: BufferedMessage): void {
    msg.correlatedTo.add(instance.definition.bpmnProcessId);
    instance.subscriptions.delete(sub.elementId);
    Object.assign(instance.variables, msg.variables);
    sub.api.signal({ id: sub.elementId, messageKey: msg.key });
  }

  /** Zeebe's PublishMessage: correlate to open subscriptions and message start events, buffer for the TTL. */
  publishMessage(req: MessageRequest): string {
    return this.messages.publish(req, (msg) => {
      for (const instance of this.instances.values()) {
        if (instance.state !== "ACTIVE" || msg.correlatedTo.has(instance.definition.bpmnProcessId)) continue;
        const sub = [...instance.subscriptions.values()].find((s) => s.name === msg.name && s.correlationKey === msg.correlationKey);
        if (sub) this.correlate(instance, sub, msg);
      }
      this.startByMessage(msg);
    }).key;
  }

  private startByMessage(msg: BufferedMessage): void {
    const ids = new Set(this.definitions.map((d) => d.bpmnProcessId));
    for (const id of ids) {
      if (msg.correlatedTo.has(id)) continue;
      const def = this.latest(id)!;
      const start = [...def.model.elements.values()].find((e) => e.type === "bpmn:StartEvent" && e.event === "message" && e.messageName === msg.name);
      if (!start) continue;
      // Zeebe: no second instance while one created by a message with the same correlation key is active.
      const busy =
        msg.correlationKey !== "" &&
        [...this.instances.values()].some(
          (i) => i.state === "ACTIVE" && i.definition.bpmnProcessId === id && i.startedBy?.correlationKey === msg.correlationKey,
        );
      if (busy) continue;
      msg.correlatedTo.add(id);
      this.start(def, start.id, msg.variables, { messageName: msg.name, correlationKey: msg.correlationKey });
    }
  }

  // ---- migration --------------------------------------------------------------------------

  /** Zeebe's MigrateProcessInstance, with the checks its documentation lists (8.8 "Limitations"). */
  async migrate(processInstanceKey: string, targetProcessDefinitionKey: string, mapping: MigrationInstruction[]): Promise<void> {
    const instance = this.instances.get(processInstanceKey);
    if (!instance || instance.state !== "ACTIVE") {
      throw new GatewayError(NOT_FOUND, `Expected to migrate process instance but no process instance found with key '${processInstanceKey}'`);
    }
    const target = this.definitionByKey(targetProcessDefinitionKey);
    if (!target)
      throw new GatewayError(
        NOT_FOUND,
        `Expected to migrate process instance to process definition but no process definition found with key '${targetProcessDefinitionKey}'`,
      );
    const source = instance.definition;
    const reject = (why: string) => new GatewayError(INVALID_ARGUMENT, `Expected to migrate process instance '${processInstanceKey}' but ${why}`);
    const bySource = new Map<string, string>();
    for (const m of mapping) {
      if (bySource.has(m.sourceElementId)) throw reject(`the mapping instructions contain duplicate source element ids '${m.sourceElementId}'.`);
      bySource.set(m.sourceElementId, m.targetElementId);
      if (!source.model.elements.has(m.sourceElementId))
        throw reject(
          `mapping instruction with a source element id '${m.sourceElementId}' does not exist in source process definition '${source.bpmnProcessId}'.`,
        );
      if (!target.model.elements.has(m.targetElementId))
        throw reject(
          `mapping instruction with a target element id '${m.targetElementId}' does not exist in target process definition '${target.bpmnProcessId}'.`,
        );
    }
    const active = instance.activeElements().filter((id) => !source.model.elements.get(id)?.isForCompensation);
    for (const id of active) {
      const to = bySource.get(id);
      if (!to) throw reject(`no mapping instruction defined for active element with id '${id}'. Elements cannot be migrated without a mapping.`);
      const [s, t] = [source.model.elements.get(id)!, target.model.elements.get(to)!];
      if (s.type !== t.type)
        throw reject(
          `active element with id '${id}' and type '${s.type}' is mapped to an element with id '${to}' and different type '${t.type}'. Elements must be mapped to elements of the same type.`,
        );
    }
    if (instance.compensations.some((c) => c.completed === undefined)) throw reject("it is compensating (not in a wait state the peer can migrate).");

    // Re-run the engine on the target model from the saved state: same active elements, renamed
    // where mapped, jobs kept with their keys and types; completed activities keep their compensation.
    const state = await instance.engine.getState();
    await instance.engine.stop();
    const rename = (id: string) => bySource.get(id) ?? id;
    const json = JSON.stringify(state, (_k, v) => {
      if (typeof v !== "string") return v;
      if (bySource.has(v)) return rename(v);
      const m = /^(.+)_([0-9a-f]{10})$/.exec(v);
      return m && bySource.has(m[1]) ? `${rename(m[1])}_${m[2]}` : v;
    });
    const migrated = JSON.parse(json);
    for (const d of migrated.definitions) delete d.source;
    instance.definition = target;
    instance.pendingCompensation = instance.pendingCompensation
      .map((s) => ({ ...s, elementId: rename(s.elementId) }))
      .filter((s) => target.model.elements.get(s.elementId)?.compensationHandler)
      .map((s) => ({ ...s, handlerId: target.model.elements.get(s.elementId)!.compensationHandler! }));
    for (const e of instance.elements) e.elementId = rename(e.elementId);
    for (const [exec, j] of [...instance.jobs]) {
      instance.jobs.delete(exec);
      const m = /^(.+)_([0-9a-f]{10})$/.exec(exec);
      instance.jobs.set(m && bySource.has(m[1]) ? `${rename(m[1])}_${m[2]}` : exec, { ...j, elementId: rename(j.elementId) });
    }
    instance.subscriptions.clear();
    this.run(instance, target.contexts.get(instance.startedBy ? ([...target.contexts.keys()].find((k) => k !== "none") ?? "none") : "none"), migrated);
    this.emit("changed", instance);
  }
}
