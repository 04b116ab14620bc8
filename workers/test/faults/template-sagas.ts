// Sagas of the shipped compensation-saga template, executed by the gateway peer's engine (executing mode):
// Zeebe's semantics drive them (handlers of completed activities only; compensation throws named after each
// step undo them one at a time, shipping, payment, inventory). The steps' services reject per the saga's
// variable rejectAt, as in sagas.ts; a saga meant to complete is confirmed through the bridge (a
// saga-confirmed response event on the bus), which the template awaits after publish-and-wait.
import type { ProcessInstance } from "../support/executing-engine";
import type { GatewayPeer } from "../support/gateway-peer";
import { stepIdOf } from "./saga-services";
import type { EndState } from "./scripted-sagas";
import type { SagaOutcome } from "./verdict";
import { PAYLOAD_MARKER } from "./markers";

export const TEMPLATE_PROCESS = "compensation-saga";
export const TEMPLATE_STEPS = ["inventory", "payment", "shipping"] as const;
export type TemplateStep = (typeof TEMPLATE_STEPS)[number];
const TASK_OF: Record<TemplateStep, string> = { inventory: "Task_Inventory", payment: "Task_Payment", shipping: "Task_Shipping" };

export interface TemplateSagaSpec {
  sagaId: string;
  rejectAt?: TemplateStep;
  expected: EndState;
  /** A step's undo answers 500 for good: its compensation is dead-lettered (an incident, by design). */
  undoFailsAt?: TemplateStep;
}

export interface TemplateSagaRun {
  spec: TemplateSagaSpec;
  state: EndState;
  instance?: ProcessInstance;
}

export function templateSaga(sagaId: string, rejectAt?: TemplateStep, undoFailsAt?: TemplateStep): TemplateSagaSpec {
  return { sagaId, rejectAt, undoFailsAt, expected: undoFailsAt ? "compensation-incident" : rejectAt ? "compensated" : "completed" };
}

/** The instance's end state: an end event reached, or an incident it waits on (on a compensation handler or not). */
export function endStateOf(instance: ProcessInstance): EndState | undefined {
  if (instance.incidents.length > 0) return instance.incidents.some((i) => /Compensate/.test(i.elementId)) ? "compensation-incident" : "incident";
  if (instance.state !== "COMPLETED") return undefined;
  if (instance.endEvents.includes("End_SagaCompensated")) return "compensated";
  if (instance.endEvents.includes("End_SagaCompleted")) return "completed";
  return undefined;
}

export class TemplateSagaDriver {
  /** confirm(sagaId): delivers the saga-confirmed message the template waits for (through the bus and the bridge). */
  constructor(
    private readonly peer: GatewayPeer,
    private readonly confirm: (sagaId: string) => Promise<void>,
  ) {}

  async run(spec: TemplateSagaSpec, deadline: number): Promise<TemplateSagaRun> {
    const instance = this.peer.engine!.createInstance({ bpmnProcessId: TEMPLATE_PROCESS, variables: templateVariables(spec) });
    if (spec.expected === "completed") await this.confirm(spec.sagaId);
    return this.untilEnd(spec, instance, deadline);
  }

  /** A saga whose instance something else starts (the bridge, for a trigger event): found by its sagaId. */
  async follow(spec: TemplateSagaSpec, deadline: number): Promise<TemplateSagaRun> {
    if (spec.expected === "completed") await this.confirm(spec.sagaId);
    for (;;) {
      const [instance] = instancesOfSaga(this.peer, spec.sagaId);
      if (instance) return this.untilEnd(spec, instance, deadline);
      if (Date.now() > deadline) return { spec, state: "unfinished" };
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async untilEnd(spec: TemplateSagaSpec, instance: ProcessInstance, deadline: number): Promise<TemplateSagaRun> {
    for (;;) {
      const state = endStateOf(instance);
      if (state) return { spec, state, instance };
      if (Date.now() > deadline) return { spec, state: "unfinished", instance };
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A saga's variables; timers long enough that only the faults decide its path (a crash delays a step by a job timeout or more). */
export function templateVariables(spec: TemplateSagaSpec): Record<string, string> {
  return {
    sagaId: spec.sagaId,
    orderId: `order-${spec.sagaId}`,
    card: PAYLOAD_MARKER,
    stepTimeout: "PT10M",
    sagaTimeout: "PT10M",
    ...(spec.rejectAt ? { rejectAt: spec.rejectAt } : {}),
    ...(spec.undoFailsAt ? { undoFailsAt: spec.undoFailsAt } : {}),
  };
}

/** The template's instances of one saga (more than one: a trigger started it twice). */
export function instancesOfSaga(peer: GatewayPeer, sagaId: string): ProcessInstance[] {
  return peer.instancesOf(TEMPLATE_PROCESS).filter((i) => i.variables.sagaId === sagaId);
}

/**
 * Confirms a saga straight through the engine (Zeebe's PublishMessage), buffered until the instance waits. The
 * crash scenarios use it: after each kill the bridge's Kafka consumer rejoins its group only once the dead
 * member's session has timed out (30 s), which would add that to every kill; the bridge has scenarios of its own.
 */
export function confirmInEngine(peer: GatewayPeer): (sagaId: string) => Promise<void> {
  return async (sagaId) => {
    peer.engine!.publishMessage({ name: "saga-confirmed", correlationKey: sagaId, timeToLive: 600_000, messageId: `confirm-${sagaId}`, variables: {} });
  };
}

/** A template saga run as the verdict sees it. */
export function templateOutcome(run: TemplateSagaRun): SagaOutcome {
  const done = (el: string) => run.instance?.elements.some((e) => e.elementId === el && e.event === "completed") ?? false;
  return {
    sagaId: run.spec.sagaId,
    expected: run.spec.expected,
    state: run.state,
    completedSteps: TEMPLATE_STEPS.filter((s) => done(TASK_OF[s])).map((s) => ({
      stepId: stepIdOf(s, { sagaId: run.spec.sagaId }),
      result: run.instance?.variables[s],
      phase: TEMPLATE_STEPS.indexOf(s), // the template runs its steps one after another
    })),
  };
}
