// The suite's standard saga: four sequential steps, each a service with an undo. A saga's variables say which
// step rejects it (rejectAt), so the services need no per-saga script and the same sagas run on any engine.
import type { Decision, SagaServiceOptions, ServiceRequest } from "./saga-services";
import { newKey, SagaSpec, StepSpec } from "./scripted-sagas";
import { PAYLOAD_MARKER } from "./markers";

export const STEPS = ["inventory", "payment", "invoice", "shipping"] as const;
export type StepService = (typeof STEPS)[number];

export const ELEMENT_OF: Record<StepService, string> = {
  inventory: "Task_Inventory",
  payment: "Task_Payment",
  invoice: "Task_Invoice",
  shipping: "Task_Shipping",
};

/** A step answers 409 (a business rejection) when the saga says it rejects there; undos always succeed. */
export function standardDecision(service: string, req: ServiceRequest): Decision {
  if (req.kind === "undo") {
    if (req.variables.undoFailsAt === service) return { status: 500, body: { error: `${service} cannot undo` } };
    return { status: 200, body: { undone: req.callKey } };
  }
  if (req.variables.rejectAt === service) return { status: 409, body: { error: `${service} refused` } };
  return { status: 200, body: { done: service, step: req.stepId } };
}

/** The four services with the standard behaviour, each optionally adjusted. */
export function standardServices(adjust: Partial<Record<StepService, SagaServiceOptions>> = {}): Record<string, SagaServiceOptions> {
  return Object.fromEntries(STEPS.map((s) => [s, { decide: (req: ServiceRequest) => standardDecision(s, req), ...adjust[s] }]));
}

export function standardSteps(headers: Record<string, string> = {}): StepSpec[] {
  return STEPS.map((service) => ({ service, elementId: ELEMENT_OF[service], headers: { resultVariable: service, ...headers } }));
}

/** The services a saga that rejects at `rejectAt` completes before it (and so must undo). */
export function completedBefore(rejectAt: StepService | undefined): StepService[] {
  return rejectAt ? STEPS.slice(0, STEPS.indexOf(rejectAt)) : [...STEPS];
}

export function standardSaga(sagaId: string, rejectAt?: StepService, extra: Partial<SagaSpec> = {}): SagaSpec {
  return {
    sagaId,
    processInstanceKey: newKey(),
    variables: { sagaId, orderId: `order-${sagaId}`, card: PAYLOAD_MARKER, ...(rejectAt ? { rejectAt } : {}) },
    steps: standardSteps(),
    expected: rejectAt ? "compensated" : "completed",
    ...extra,
  };
}
