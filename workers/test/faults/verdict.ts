// The verdict on a scenario's sagas, from the services' own records (what each executed, under which
// Idempotency-Key, when its replies went out) and the end state each saga reached in the engine.
//
// - duplicate execution: a business step executed under more than one key; one call undone more than once;
//   two requests of one key open at the same time; an undo of a call the service never executed successfully;
//   any undo in a saga that was not compensated; any execution by a service the scenario forbids for the saga.
//   A later request with an executed key is a retry the service answers from its record (counted, allowed).
// - lost: a saga not at its designed end state; a completed step the service never executed, or completed with
//   a result that is not its own; a successfully executed call of a compensated saga that was never undone.
// - out of order: the engine created call B's job only after call A's had completed (a later phase), yet A's
//   undo was received before B's undo had been answered successfully (reverse order of completion). Steps the
//   engine ran at the same time (parallel iterations) have no order between them, whatever the services'
//   clocks say: a request the worker sent before a reply arrived may still reach the service after it.
import { maxOpenAtOnce } from "../support/http-services";
import type { Execution, Exchange, SagaService } from "./saga-services";
import type { EndState } from "./scripted-sagas";

/** What the verdict needs to know of one saga: its design and how it ended. */
export interface SagaOutcome {
  sagaId: string;
  expected: EndState;
  state: EndState;
  /**
   * Completed call steps (stepIdOf) with the result their completion carried, when the engine tells, and their
   * phase: the engine created a step's job only after every step of a lower phase had completed.
   */
  completedSteps?: { stepId: string; result?: unknown; phase: number }[];
  /** Services that must execute nothing for this saga (e.g. its data must never leave the worker). */
  mustNotExecute?: string[];
}

export interface SagaVerdict {
  sagaId: string;
  lost: string[];
  duplicates: string[];
  outOfOrder: string[];
  /** Requests answered from the service's record (same key again). */
  sameKeyRetries: number;
}

const ok = (status: number) => status >= 200 && status < 300;
const keyOf = (service: string, key: string) => `${service} ${key}`;

export function judgeSaga(outcome: SagaOutcome, services: SagaService[]): SagaVerdict {
  const v: SagaVerdict = { sagaId: outcome.sagaId, lost: [], duplicates: [], outOfOrder: [], sameKeyRetries: 0 };
  const executions: Execution[] = services.flatMap((s) => s.executions.filter((e) => e.request.sagaId === outcome.sagaId));
  const exchanges: Exchange[] = services.flatMap((s) => s.exchanges.filter((e) => e.request.sagaId === outcome.sagaId));
  const exchangesOf = groupBy(exchanges, (e) => keyOf(e.request.service, e.request.key));
  /** When the first successful answer to a key reached the worker (the connection was not cut first). */
  const firstSuccessDelivered = (service: string, key: string): number | undefined => {
    const times = (exchangesOf.get(keyOf(service, key)) ?? [])
      .filter((e) => ok(e.status) && e.call.endedAt !== undefined && !e.call.aborted)
      .map((e) => e.call.endedAt!);
    return times.length > 0 ? Math.min(...times) : undefined;
  };
  v.sameKeyRetries = exchanges.filter((e) => e.replay).length;

  if (outcome.state !== outcome.expected) v.lost.push(`saga ${outcome.sagaId} ended ${outcome.state}, designed to end ${outcome.expected}`);

  const calls = executions.filter((e) => e.request.kind === "call");
  const undos = executions.filter((e) => e.request.kind === "undo");
  const succeededCalls = calls.filter((e) => ok(e.decision.status));
  const undoOf = (c: Execution) => undos.filter((u) => u.request.service === c.request.service && u.request.callKey === c.request.key);

  // Duplicate executions.
  for (const [step, execs] of groupBy(calls, (e) => keyOf(e.request.service, e.request.stepId))) {
    if (execs.length > 1) v.duplicates.push(`step ${step} executed under ${execs.length} keys (${execs.map((e) => e.request.key).join(", ")})`);
  }
  for (const [callKey, execs] of groupBy(undos, (e) => keyOf(e.request.service, e.request.callKey ?? ""))) {
    if (execs.length > 1) v.duplicates.push(`call ${callKey} undone ${execs.length} times (keys ${execs.map((e) => e.request.key).join(", ")})`);
    if (!succeededCalls.some((c) => keyOf(c.request.service, c.request.key) === callKey))
      v.duplicates.push(`undo of ${callKey}, which the service never executed successfully`);
  }
  for (const [key, ex] of exchangesOf) {
    const open = maxOpenAtOnce(ex.map((e) => e.call));
    if (open > 1) v.duplicates.push(`${open} requests with key ${key} open at the same time`);
  }
  const compensating = ["compensated", "compensation-incident"].includes(outcome.state) || ["compensated", "compensation-incident"].includes(outcome.expected);
  if (!compensating && undos.length > 0) v.duplicates.push(`${undos.length} undo(s) in a saga that was not compensated`);
  for (const service of outcome.mustNotExecute ?? []) {
    const n = executions.filter((e) => e.request.service === service).length;
    if (n > 0) v.duplicates.push(`${service} executed ${n} request(s) it must never receive`);
  }

  // Lost work.
  for (const step of outcome.completedSteps ?? []) {
    const exec = succeededCalls.find((e) => e.request.stepId === step.stepId);
    if (!exec) v.lost.push(`step ${step.stepId} completed in the engine but the service never executed it`);
    else if (step.result !== undefined && JSON.stringify(step.result) !== JSON.stringify(exec.decision.body)) {
      v.lost.push(`step ${step.stepId} completed with a result that is not its own`);
    }
  }
  if (outcome.state === "compensated") {
    for (const c of succeededCalls) {
      if (!undoOf(c).some((u) => ok(u.decision.status))) v.lost.push(`call ${keyOf(c.request.service, c.request.key)} of a compensated saga was never undone`);
    }
  }

  // Reverse order of completion, as the engine ordered the steps.
  if (compensating) {
    const phaseOf = new Map((outcome.completedSteps ?? []).map((s) => [s.stepId, s.phase]));
    for (const a of succeededCalls) {
      const undoA = undoOf(a)[0];
      const phaseA = phaseOf.get(a.request.stepId);
      if (!undoA || phaseA === undefined) continue;
      for (const b of succeededCalls) {
        if (!((phaseOf.get(b.request.stepId) ?? -1) > phaseA)) continue;
        const undoB = undoOf(b)[0];
        if (!undoB || !ok(undoB.decision.status)) continue; // a missing undo is lost; a failed one was given up (dead letter)
        const undoBDone = firstSuccessDelivered(undoB.request.service, undoB.request.key);
        if (undoBDone === undefined || undoBDone > undoA.exchange.at) {
          v.outOfOrder.push(`${a.request.stepId} undone before ${b.request.stepId} (completed after it) had been undone`);
        }
      }
    }
  }
  return v;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
  return m;
}
