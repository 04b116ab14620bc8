// Loopback microservices for the fault suite: each is idempotent on the Idempotency-Key header, as the worker
// expects of a service, and keeps its own record of what it executed. The verdict is computed from these
// records only (never from the worker's saga log): what each service did, under which key, and when.
import { RecordedCall, Reply, startService, TestService } from "../support/http-services";

export const CALL_PATH = "/api/process";
export const UNDO_PATH = "/api/compensate";

/** What a service answers to a key it has not executed yet. */
export interface Decision {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

/** One request as the service understands it. */
export interface ServiceRequest {
  service: string;
  kind: "call" | "undo";
  /** The Idempotency-Key header. */
  key: string;
  sagaId: string;
  /** The business step the request is about (service, saga, loop item), whatever key it carries. */
  stepId: string;
  /** For an undo: the key of the call it undoes (from the compensation body). */
  callKey?: string;
  /** The job's variables (for an undo: the recorded request of the call). */
  variables: Record<string, any>;
  /** How many requests with this key the service has received, this one included. */
  nth: number;
}

/** A key executed: the first request of that key that the service did not answer as a transient failure. */
export interface Execution {
  request: ServiceRequest;
  decision: Decision;
  /** The exchange that executed it (its endedAt/aborted tell whether the reply reached the worker). */
  exchange: RecordedCall;
}

export interface Exchange {
  request: ServiceRequest;
  call: RecordedCall;
  /** A later request of an executed key, answered with the recorded decision (not executed again). */
  replay: boolean;
  /** Answered as a transient failure: nothing executed. */
  transient: boolean;
  /** The status answered. */
  status: number;
}

export interface SagaServiceOptions {
  /** The answer to a key not executed yet. Transient answers (3xx, 408, 429, 5xx) execute nothing. */
  decide?: (req: ServiceRequest) => Decision;
  /** Runs when a key executes, before the reply is sent; a returned promise holds the reply until it settles. */
  onExecute?: (execution: Execution) => Promise<unknown> | void;
  /** Runs when a later request of an executed key is answered from the record (`exchange` is that request's). */
  onReplay?: (replay: Execution) => Promise<unknown> | void;
}

export interface SagaService {
  name: string;
  url: string;
  executions: Execution[];
  exchanges: Exchange[];
  stop(): Promise<void>;
}

export const isTransient = (status: number): boolean => (status >= 300 && status < 400) || status === 408 || status === 429 || status >= 500;

/** Which business step a request concerns: the service, the saga and (in a loop) the item. */
export function stepIdOf(service: string, variables: Record<string, any>): string {
  const item = variables?.item === undefined ? "" : `#${JSON.stringify(variables.item)}`;
  return `${service}:${String(variables?.sagaId)}${item}`;
}

function parseRequest(service: string, call: RecordedCall, nth: number): ServiceRequest {
  const key = String(call.headers["idempotency-key"] ?? "");
  const undo = call.path === UNDO_PATH;
  const variables = ((undo ? call.body?.request : call.body) ?? {}) as Record<string, any>;
  return {
    service,
    kind: undo ? "undo" : "call",
    key,
    sagaId: String(variables.sagaId),
    stepId: stepIdOf(service, variables),
    callKey: undo ? String(call.body?.idempotencyKey) : undefined,
    variables,
    nth,
  };
}

export async function startSagaService(name: string, opts: SagaServiceOptions = {}): Promise<SagaService> {
  const executions: Execution[] = [];
  const exchanges: Exchange[] = [];
  const byKey = new Map<string, Execution>();
  const received = new Map<string, number>();
  const decide =
    opts.decide ??
    ((req: ServiceRequest): Decision =>
      req.kind === "undo" ? { status: 200, body: { undone: req.callKey } } : { status: 200, body: { done: name, step: req.stepId } });

  const svc: TestService = await startService(name, (call): Reply => {
    const key = String(call.headers["idempotency-key"] ?? "");
    const nth = (received.get(key) ?? 0) + 1;
    received.set(key, nth);
    const request = parseRequest(name, call, nth);
    const executed = byKey.get(key);
    if (executed) {
      exchanges.push({ request, call, replay: true, transient: false, status: executed.decision.status });
      const hold = opts.onReplay?.({ request, decision: executed.decision, exchange: call });
      return hold ? { ...executed.decision, until: hold } : { ...executed.decision, delayMs: undefined };
    }
    const decision = decide(request);
    const transient = isTransient(decision.status);
    exchanges.push({ request, call, replay: false, transient, status: decision.status });
    if (transient) return decision;
    const execution: Execution = { request, decision, exchange: call };
    byKey.set(key, execution);
    executions.push(execution);
    const hold = opts.onExecute?.(execution);
    return hold ? { ...decision, until: hold } : decision;
  });
  return { name, url: svc.url, executions, exchanges, stop: () => svc.stop() };
}
