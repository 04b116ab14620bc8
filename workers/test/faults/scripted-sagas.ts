// Sagas driven through the gateway peer's scripted API, following Zeebe's semantics: steps one after another
// (a loop step: one element instance per item, in sequence or all at once), a BPMN error ends the forward path,
// then the compensation handlers of the COMPLETED element instances only are activated all at once, in no
// order (here: a seeded shuffle), as a compensation throw event without activityRef does in Zeebe 8.8. A job
// failed with no retries left is an incident: the instance waits there.
import type { GatewayPeer } from "../support/gateway-peer";
import type { Random } from "./random";

export type EndState = "completed" | "compensated" | "incident" | "compensation-incident" | "unfinished";

export interface StepSpec {
  service: string;
  elementId: string;
  /** A loop / multi-instance step: one element instance per item (variable `item`); parallel = all at once. */
  items?: { values: unknown[]; parallel: boolean };
  headers?: Record<string, string>;
  /** The job's variables as raw JSON text (bad data Zeebe accepts, e.g. integers beyond 2^53). */
  rawVariables?: string;
  /** Variables added to the saga's for this step's jobs. */
  variables?: Record<string, unknown>;
}

export interface SagaSpec {
  sagaId: string;
  processInstanceKey: string;
  variables: Record<string, unknown>;
  steps: StepSpec[];
  /** The end state the scenario designs for this saga. */
  expected: EndState;
  /** Every job of the saga is handed out twice in one batch (a duplicate delivery of the same element instance). */
  duplicateDeliveries?: boolean;
  /** Retries of the compensation jobs (default 3). */
  compensationRetries?: number;
}

export interface StepInstance {
  service: string;
  elementId: string;
  elementInstanceKey: string;
  item?: unknown;
  /** The saga's waves of jobs, counted: a wave is created once every job of the one before has completed. */
  phase: number;
}

export interface SagaRun {
  spec: SagaSpec;
  state: EndState;
  /** Element instances whose job completed (in completion order). */
  completed: StepInstance[];
  /** Messages of the incidents the saga ended in. */
  incidents: string[];
  /** The completion variables of each completed call job, by element instance. */
  results: Map<string, Record<string, unknown>>;
}

type Outcome = { kind: "completed"; variables: Record<string, unknown> } | { kind: "error"; code: string } | { kind: "incident"; message: string };

let nextKey = 4503599627370496n; // a key range of its own, away from the peer's

export function newKey(): string {
  nextKey += 1n;
  return nextKey.toString();
}

export class ScriptedSagaDriver {
  private readonly waiting = new Map<string, (o: Outcome) => void>();
  private readonly settled = new Map<string, Outcome>();

  constructor(
    private readonly peer: GatewayPeer,
    private readonly random: Random,
  ) {
    peer.on("complete", (c: { jobKey: string; variables: Record<string, unknown> }) => this.settle(c.jobKey, { kind: "completed", variables: c.variables }));
    peer.on("thrownError", (e: { jobKey: string; errorCode: string }) => this.settle(e.jobKey, { kind: "error", code: e.errorCode }));
    peer.on("fail", (f: { jobKey: string; retries: number; errorMessage: string }) => {
      if (f.retries === 0) this.settle(f.jobKey, { kind: "incident", message: f.errorMessage });
    });
  }

  private settle(jobKey: string, o: Outcome): void {
    if (this.settled.has(jobKey)) return;
    this.settled.set(jobKey, o);
    this.waiting.get(jobKey)?.(o);
    this.waiting.delete(jobKey);
  }

  private outcome(jobKey: string): Promise<Outcome> {
    const known = this.settled.get(jobKey);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => this.waiting.set(jobKey, resolve));
  }

  /** Queues the job(s) of element instances together (one activation batch); resolves with the first final outcome of each. */
  private async runJobs(
    jobs: {
      type: string;
      instance: Pick<StepInstance, "elementId" | "elementInstanceKey">;
      spec: SagaSpec;
      variables?: Record<string, unknown>;
      rawVariables?: string;
      headers?: Record<string, string>;
      retries?: number;
    }[],
  ): Promise<Outcome[]> {
    const copies = jobs.flatMap((j) => (j.spec.duplicateDeliveries ? [j, j] : [j]));
    const keys = this.peer.addJobs(
      copies.map((j) => ({
        type: j.type,
        processInstanceKey: j.spec.processInstanceKey,
        elementId: j.instance.elementId,
        elementInstanceKey: j.instance.elementInstanceKey,
        bpmnProcessId: "fault-saga",
        variables: j.variables,
        rawVariables: j.rawVariables,
        customHeaders: j.headers,
        retries: j.retries ?? 3,
      })),
    );
    const outcomes = await Promise.all(keys.map((k) => this.outcome(k)));
    // With duplicate deliveries, each instance's outcome is its first copy's (the other answers from the log).
    let i = 0;
    return jobs.map((j) => {
      const o = outcomes[i];
      i += j.spec.duplicateDeliveries ? 2 : 1;
      return o;
    });
  }

  async run(spec: SagaSpec): Promise<SagaRun> {
    const run: SagaRun = { spec, state: "unfinished", completed: [], incidents: [], results: new Map() };
    let rejected = false;
    let phase = 0;
    for (const step of spec.steps) {
      const items = step.items?.values ?? [undefined];
      const instances = items.map((item) => ({ service: step.service, elementId: step.elementId, elementInstanceKey: newKey(), item }));
      const job = (instance: (typeof instances)[number]) => ({
        type: `call-microservice-${step.service}`,
        instance,
        spec,
        variables: { ...spec.variables, ...step.variables, ...(instance.item === undefined ? {} : { item: instance.item }) },
        rawVariables: step.rawVariables,
        headers: step.headers,
      });
      const waves = step.items?.parallel ? [instances] : instances.map((i) => [i]);
      for (const wave of waves) {
        const outcomes = await this.runJobs(wave.map(job));
        wave.forEach((instance, n) => {
          const o = outcomes[n];
          if (o.kind === "completed") {
            run.completed.push({ ...instance, phase });
            run.results.set(instance.elementInstanceKey, o.variables);
          } else if (o.kind === "error") rejected = true;
          else run.incidents.push(o.message);
        });
        if (rejected || run.incidents.length > 0) break;
        phase++;
      }
      if (run.incidents.length > 0) {
        run.state = "incident";
        return run;
      }
      if (rejected) break;
    }
    if (!rejected) {
      run.state = "completed";
      return run;
    }
    // The compensation throw: every completed element instance's handler, all at once, in no order.
    const handlers = this.random.shuffle(run.completed).map((instance) => ({
      type: `compensate-${instance.service}`,
      instance: { ...instance, elementId: `Undo_${instance.elementId}`, elementInstanceKey: newKey() },
      spec,
      headers: spec.steps.find((s) => s.elementId === instance.elementId)?.items ? { compensates: instance.elementId } : undefined,
      retries: spec.compensationRetries,
    }));
    const outcomes = await this.runJobs(handlers);
    for (const o of outcomes)
      if (o.kind !== "completed") run.incidents.push(o.kind === "incident" ? o.message : `BPMN error ${o.code} from a compensation handler`);
    run.state = run.incidents.length > 0 ? "compensation-incident" : "compensated";
    return run;
  }
}
