// What tracing costs a job while it is off (no OTEL_* variables): the exact calls the worker makes per
// call-microservice job on that path, timed in a loop in this process (where the SDK is not registered).
import { traceHeaders, tracingEnabled, withoutTraceVariables } from "../src/tracing";

/** Nanoseconds per job spent on the tracing-off path (median of 5 runs of `iterations`). */
export function tracingOffPathNsPerJob(iterations = 200_000): number {
  if (tracingEnabled()) throw new Error("tracing is on in this process: the off path cannot be measured");
  const variables = { orderId: "o-1", amount: 42, items: ["a", "b", "c"] };
  let sink = 0;
  const once = () => {
    // job-workers.ts: the span check and the variables handed to the handler
    if (tracingEnabled()) sink += 1;
    if (withoutTraceVariables(variables) !== variables) sink += 1;
    // http-call.ts: the client span check
    if (tracingEnabled()) sink += 1;
    // step-events.ts: the headers of step.started, the service result and step.completed
    for (let e = 0; e < 3; e++) if (({ "x-event-type": "step.started", ...traceHeaders() } as Record<string, string>).traceparent) sink += 1;
  };
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) once();
    runs.push(Number(process.hrtime.bigint() - t0) / iterations);
  }
  if (sink < 0) throw new Error("unreachable");
  return runs.sort((a, b) => a - b)[2];
}
