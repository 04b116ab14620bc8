// The fault suite's verdict on the order of undos, from hand-made service records: it must report an undo
// out of the engine's order of completion, and must not report steps the engine ran at the same time.
import * as assert from "assert";
import type { Exchange, Execution, SagaService } from "./faults/saga-services";
import { judgeSaga, SagaOutcome } from "./faults/verdict";

const SAGA = "s1";

/** One service's record: calls and undos, each with the times (ms) the service received and answered it. */
function service(name: string, records: { kind: "call" | "undo"; item: number; at: number; endedAt: number }[]): SagaService {
  const executions: Execution[] = [];
  const exchanges: Exchange[] = [];
  for (const r of records) {
    const callKey = `call-${name}-${r.item}`;
    const request = {
      service: name,
      kind: r.kind,
      key: r.kind === "call" ? callKey : `undo-${name}-${r.item}`,
      sagaId: SAGA,
      stepId: `${name}:${SAGA}#${r.item}`,
      callKey: r.kind === "undo" ? callKey : undefined,
      variables: { sagaId: SAGA, item: r.item },
      nth: 1,
    };
    const call = { path: "/", headers: {}, body: {}, at: r.at, endedAt: r.endedAt, aborted: false };
    executions.push({ request, decision: { status: 200 }, exchange: call });
    exchanges.push({ request, call, replay: false, transient: false, status: 200 });
  }
  return { name, url: "http://127.0.0.1:1", executions, exchanges, stop: async () => undefined };
}

function outcome(phases: Record<number, number>): SagaOutcome {
  return {
    sagaId: SAGA,
    expected: "compensated",
    state: "compensated",
    completedSteps: Object.entries(phases).map(([item, phase]) => ({ stepId: `payment:${SAGA}#${item}`, phase })),
  };
}

describe("fault suite verdict: order of undos", () => {
  // Item 1 answered 1 ms before item 2 was received; then the undos, each received at `at` and answered at `endedAt`.
  const withUndos = (undos: { item: number; at: number; endedAt: number }[]) =>
    service("payment", [
      { kind: "call", item: 1, at: 100, endedAt: 101 },
      { kind: "call", item: 2, at: 102, endedAt: 103 },
      ...undos.map((u) => ({ kind: "undo" as const, ...u })),
    ]);
  const oldestFirst = withUndos([
    { item: 1, at: 200, endedAt: 201 },
    { item: 2, at: 210, endedAt: 211 },
  ]);

  it("reports an undo before that of a step the engine started only after the undone one had completed", () => {
    const v = judgeSaga(outcome({ 1: 0, 2: 1 }), [oldestFirst]);
    assert.deepStrictEqual(v.outOfOrder, [`payment:${SAGA}#1 undone before payment:${SAGA}#2 (completed after it) had been undone`]);
  });

  it("does not order steps the engine ran at the same time (parallel iterations), whatever the services' clocks say", () => {
    const v = judgeSaga(outcome({ 1: 0, 2: 0 }), [oldestFirst]);
    assert.deepStrictEqual(v.outOfOrder, []);
  });

  it("accepts the reverse order of completion", () => {
    const newestFirst = withUndos([
      { item: 2, at: 200, endedAt: 201 },
      { item: 1, at: 210, endedAt: 211 },
    ]);
    assert.deepStrictEqual(judgeSaga(outcome({ 1: 0, 2: 1 }), [newestFirst]).outOfOrder, []);
  });

  it("reports an undo received while the later step's undo was still unanswered", () => {
    const overlapping = withUndos([
      { item: 2, at: 200, endedAt: 215 },
      { item: 1, at: 210, endedAt: 211 },
    ]);
    assert.strictEqual(judgeSaga(outcome({ 1: 0, 2: 1 }), [overlapping]).outOfOrder.length, 1);
  });
});
