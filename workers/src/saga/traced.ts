// Saga-log writes as child spans of the job that makes them (wired only when tracing is on).
import { SpanKind } from "@opentelemetry/api";
import { inSpan } from "../tracing";
import type { SagaLog } from "./log";

/** The SagaLog methods that write; each becomes a span `saga-log <method>`. */
export const SAGA_LOG_WRITES = ["begin", "finish", "startCompensation", "claimUndo", "finishUndo", "giveUpUndo"] as const satisfies readonly (keyof SagaLog)[];

/** The same saga log, with its writes traced; every other member passes through unchanged. */
export function withTracedWrites(saga: SagaLog): SagaLog {
  const writes: readonly PropertyKey[] = SAGA_LOG_WRITES;
  return new Proxy(saga, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (!writes.includes(prop)) return value.bind(target);
      const attributes = { "db.system.name": "postgresql", "db.operation.name": String(prop) };
      return (...args: unknown[]) => inSpan(`saga-log ${String(prop)}`, attributes, () => value.apply(target, args), SpanKind.CLIENT);
    },
  });
}
