// Trace context across the saga, on the OpenTelemetry API alone. Until telemetry.ts registers the SDK (tracing
// configured), the API's global tracer is a no-op and its context manager keeps no context: every function here
// then costs a few calls and produces no span and no header.
//
// Where the context travels (README "Traces"):
// - into a process instance: the variables `traceparent` / `tracestate` (W3C Trace Context), set by the event
//   bridge when a trigger starts the instance, or by any client that starts one;
// - into a job: its span is a child of that context; an instance without one gets a trace of its own, derived
//   from its key, so that every job of the instance on every replica lands in the same trace;
// - out of a job: the HTTP call to the service (header `traceparent` of the call's span), and the headers of
//   every event the job publishes (the job span's context);
// - into the bridge: the headers of a consumed event; the bridge's span continues the producer's trace.
import { Attributes, Context, context, ROOT_CONTEXT, Span, SpanContext, SpanKind, SpanStatusCode, trace, TraceFlags } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { createHash } from "crypto";
import type { WorkerJob } from "./handlers/context";

export const TRACER_NAME = "camunda-orchestrator-worker";
/** Process variables that carry an instance's trace context (the W3C header names). */
export const TRACE_VARIABLES = ["traceparent", "tracestate"] as const;

const w3c = new W3CTraceContextPropagator();
const tracer = () => trace.getTracer(TRACER_NAME);

type Carrier = Record<string, unknown>;
const getter = {
  keys: (c: Carrier) => Object.keys(c),
  get: (c: Carrier, key: string) => (typeof c[key] === "string" ? (c[key] as string) : undefined),
};
const setter = { set: (c: Record<string, string>, key: string, value: string) => void (c[key] = value) };

let enabled = false;
/** Whether an instance's sampled flag is set for a derived trace id (the configured sampler's answer). */
let instanceSampled: (traceId: string) => boolean = () => false;

/** Called by telemetry.ts once the SDK is registered; until then callers skip every span (tracing off costs nothing). */
export function enableTracing(sampled: (traceId: string) => boolean): void {
  enabled = true;
  instanceSampled = sampled;
}

export function disableTracing(): void {
  enabled = false;
  instanceSampled = () => false;
}

export function tracingEnabled(): boolean {
  return enabled;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** W3C headers (`traceparent`, and `tracestate` when there is one) of the span in ctx; empty with tracing off. */
export function traceHeaders(ctx?: Context): Readonly<Record<string, string>> {
  if (!enabled) return NO_HEADERS;
  const out: Record<string, string> = {};
  w3c.inject(ctx ?? context.active(), out, setter);
  return out;
}

/** The context that W3C headers (or variables of the same names) describe; ROOT_CONTEXT when they hold none. */
export function contextFrom(carrier: Carrier | undefined): Context {
  return carrier ? w3c.extract(ROOT_CONTEXT, carrier, getter) : ROOT_CONTEXT;
}

/**
 * The virtual parent of the jobs of an instance that carries no trace context: trace and span id from the
 * instance key, so every replica computes the same one. No span of that id is exported: trace views show
 * the instance's jobs as the trace's top spans.
 */
export function instanceSpanContext(processInstanceKey: string): SpanContext {
  const digest = createHash("sha256").update(`zeebe-process-instance/${processInstanceKey}`).digest("hex");
  const traceId = digest.slice(0, 32);
  return { traceId, spanId: digest.slice(32, 48), traceFlags: instanceSampled(traceId) ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true };
}

/** What a job's span reads of the job. */
export type TracedJob = Pick<WorkerJob, "key" | "type" | "processInstanceKey" | "bpmnProcessId" | "elementId" | "elementInstanceKey" | "retries" | "variables">;

/** The parent of a job's span: the instance's trace context from its variables, else the instance's derived one. */
export function jobParentContext(job: Pick<TracedJob, "variables" | "processInstanceKey">): Context {
  const fromVariables = contextFrom(job.variables);
  if (trace.getSpanContext(fromVariables)) return fromVariables;
  return trace.setSpanContext(ROOT_CONTEXT, instanceSpanContext(job.processInstanceKey));
}

/** The job's variables without the trace context (it is sent as a header, never in a service's payload). */
export function withoutTraceVariables(variables: Record<string, unknown>): Record<string, unknown> {
  if (!TRACE_VARIABLES.some((k) => k in variables)) return variables;
  const rest = { ...variables };
  for (const k of TRACE_VARIABLES) delete rest[k];
  return rest;
}

/** A span for one job (kind consumer: Zeebe hands the job out); the returned context has it active. */
export function startJobSpan(job: TracedJob): { span: Span; ctx: Context } {
  const parent = jobParentContext(job);
  const span = tracer().startSpan(
    `job ${job.type}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        "camunda.process.id": job.bpmnProcessId,
        "camunda.process_instance.key": job.processInstanceKey,
        "camunda.element.id": job.elementId,
        "camunda.element_instance.key": job.elementInstanceKey,
        "camunda.job.key": job.key,
        "camunda.job.type": job.type,
        "camunda.job.retries": job.retries,
      },
    },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

/** Runs fn with ctx active (its span the parent of the spans fn starts). */
export function runIn<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** Job outcomes that mark the job's span as an error (a BPMN error is the service's answer, not a fault). */
const FAULTS = new Set(["incident", "failed_retry", "handler_error", "action_refused"]);

export function endJobSpan(span: Span, outcome: string): void {
  span.setAttribute("camunda.job.outcome", outcome);
  if (FAULTS.has(outcome)) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
  span.end();
}

/** Runs fn in a child span of the active context (an internal step such as a saga-log write). */
export async function inSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  const span = tracer().startSpan(name, { kind, attributes });
  try {
    return await context.with(trace.setSpan(context.active(), span), fn);
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.name ?? "error" });
    throw err;
  } finally {
    span.end();
  }
}

/** A client span for an HTTP request; `headers` are the W3C headers to send with it. */
export function startHttpClientSpan(method: string, url: string): { span: Span; headers: Record<string, string> } {
  let target: Attributes = {};
  try {
    const u = new URL(url);
    // Never credentials or a query (it may hold a signed token).
    target = {
      "url.full": `${u.protocol}//${u.host}${u.pathname}`,
      "server.address": u.hostname,
      "server.port": Number(u.port || (u.protocol === "https:" ? 443 : 80)),
    };
  } catch {
    // An unparseable URL fails the call itself; the span just says less.
  }
  const span = tracer().startSpan(method, { kind: SpanKind.CLIENT, attributes: { "http.request.method": method, ...target } });
  return { span, headers: traceHeaders(trace.setSpan(context.active(), span)) };
}

export function endHttpClientSpan(span: Span, status: number | undefined, failure: string | undefined): void {
  if (status !== undefined) span.setAttribute("http.response.status_code", status);
  if (failure !== undefined) {
    span.setAttribute("error.type", status !== undefined ? String(status) : "connection");
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure });
  }
  span.end();
}

/** A consumer span for an event taken off the bus, continuing its producer's trace when its headers carry one. */
export function startConsumerSpan(topic: string, eventId: string, headers: Record<string, string> | undefined): { span: Span; ctx: Context } {
  const parent = contextFrom(headers);
  const span = tracer().startSpan(
    `${topic} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { "messaging.operation.type": "process", "messaging.destination.name": topic, "messaging.message.id": eventId },
    },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

export function endSpan(span: Span, err?: unknown): void {
  if (err !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.name ?? "error" });
  span.end();
}
