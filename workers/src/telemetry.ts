// Starts the OpenTelemetry SDK (@opentelemetry/sdk-node) when tracing is configured by the standard OTEL_*
// variables (README "Traces"); the SDK itself reads them: exporter, endpoint, headers, protocol, sampler,
// resource. Without them nothing is loaded and tracing.ts stays a no-op.
import { diag, DiagLogLevel, ROOT_CONTEXT } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { Logger } from "pino";
import type { Config } from "./config";
import { withTimeout } from "./http-server";
import { redact } from "./redact";
import { disableTracing, enableTracing } from "./tracing";

export type TracingConfig = Pick<
  Config,
  | "OTEL_SDK_DISABLED"
  | "OTEL_TRACES_EXPORTER"
  | "OTEL_EXPORTER_OTLP_ENDPOINT"
  | "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
  | "OTEL_SERVICE_NAME"
  | "OTEL_RESOURCE_ATTRIBUTES"
  | "OTEL_TRACES_SAMPLER"
  | "OTEL_TRACES_SAMPLER_ARG"
>;

export interface Telemetry {
  /** Exports the spans still buffered (bounded), then unregisters the SDK. */
  shutdown(): Promise<void>;
}

export const DEFAULT_SERVICE_NAME = "camunda-orchestrator-worker";
const SHUTDOWN_BOUND_MS = 5000;

/**
 * Tracing is on when the SDK is not disabled and either an exporter is named (OTEL_TRACES_EXPORTER other than
 * none, e.g. otlp to a collector on localhost:4318) or an OTLP endpoint is set. Unlike the bare SDK, an unset
 * configuration does not export to localhost: it traces nothing.
 */
export function tracingConfigured(c: TracingConfig): boolean {
  if (c.OTEL_SDK_DISABLED || c.OTEL_TRACES_EXPORTER.includes("none")) return false;
  return c.OTEL_TRACES_EXPORTER.length > 0 || Boolean(c.OTEL_EXPORTER_OTLP_ENDPOINT || c.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** The share of traces the configured sampler keeps when it decides at the root (OTEL_TRACES_SAMPLER and _ARG). */
export function rootSampleRatio(c: Pick<TracingConfig, "OTEL_TRACES_SAMPLER" | "OTEL_TRACES_SAMPLER_ARG">): number {
  switch (c.OTEL_TRACES_SAMPLER) {
    case "always_off":
    case "parentbased_always_off":
      return 0;
    case "traceidratio":
    case "parentbased_traceidratio":
      return c.OTEL_TRACES_SAMPLER_ARG ?? 1;
    default:
      return 1;
  }
}

function hasServiceName(c: TracingConfig): boolean {
  return Boolean(c.OTEL_SERVICE_NAME) || /(^|,)\s*service\.name\s*=/.test(c.OTEL_RESOURCE_ATTRIBUTES ?? "");
}

/**
 * One line from a diag call: the SDK's error handler passes an exception as JSON (message, code, stack): keep its
 * name and message, never the stack or other fields.
 */
export function diagText(message: string, args: unknown[]): string {
  const parts = [message, ...args].map((part) => {
    if (part instanceof Error) return `${part.name}: ${part.message}`;
    if (typeof part !== "string") return "";
    try {
      const parsed = JSON.parse(part) as { name?: unknown; message?: unknown; code?: unknown };
      if (parsed && typeof parsed === "object" && typeof parsed.message === "string") {
        return `${typeof parsed.name === "string" ? `${parsed.name}: ` : ""}${parsed.message}${parsed.code !== undefined ? ` (code ${String(parsed.code)})` : ""}`;
      }
    } catch {
      // plain text
    }
    return part;
  });
  return redact(parts.filter(Boolean).join(" ")).slice(0, 500);
}

export function startTelemetry(config: TracingConfig, log: Pick<Logger, "warn" | "info">): Telemetry | undefined {
  if (!tracingConfigured(config)) return undefined;
  // Loaded only when tracing is on: the SDK and its exporters are a sizeable module graph.
  const { NodeSDK } = require("@opentelemetry/sdk-node") as typeof import("@opentelemetry/sdk-node");
  const { TraceIdRatioBasedSampler, SamplingDecision } = require("@opentelemetry/sdk-trace") as typeof import("@opentelemetry/sdk-trace");

  // The SDK reports export failures through diag: into the worker's log, redacted (never the OTLP headers).
  const report = (message: string, args: unknown[]) => log.warn({ detail: diagText(message, args) }, "tracing (OpenTelemetry SDK) problem");
  diag.setLogger(
    {
      error: (m, ...a) => report(m, a),
      warn: (m, ...a) => report(m, a),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.WARN,
  );

  const sdk = new NodeSDK({
    serviceName: hasServiceName(config) ? undefined : DEFAULT_SERVICE_NAME,
    // Traces only: the worker's metrics are Prometheus' (/metrics), its logs go to stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
    textMapPropagator: new W3CTraceContextPropagator(),
  });
  sdk.start();
  const ratio = new TraceIdRatioBasedSampler(rootSampleRatio(config));
  enableTracing((traceId) => ratio.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED);
  log.info(
    { endpoint: redact(config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? config.OTEL_EXPORTER_OTLP_ENDPOINT ?? "(SDK default)") },
    "tracing on (OpenTelemetry)",
  );

  return {
    shutdown: async () => {
      disableTracing();
      await withTimeout(sdk.shutdown(), SHUTDOWN_BOUND_MS, "trace export at shutdown").catch((err) =>
        log.warn({ err: redact(String(err)) }, "tracing shutdown incomplete"),
      );
      diag.disable();
    },
  };
}
