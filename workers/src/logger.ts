import pino, { DestinationStream, Logger } from "pino";
import { redact } from "./redact";

// Log lines carry sizes and keys, never payloads or credentials. Call sites log only what they mean
// to; this layer is the safety net for what slips through (an error object a driver filled with the
// request, a variables map, a URL with a password).

/** Fields that hold process variables or message bodies: logged as their size and keys only. */
const PAYLOAD_KEY = /^(variables|body|payload|request|response|record|replay|value|result)$/i;
/** Fields whose value is a credential. */
const SECRET_KEY = /pass(word|wd)?$|secret|token|authorization|cookie|api[-_]?key|credential|private[-_]?key/i;
const MAX_DEPTH = 6;

function byteLength(v: unknown): number {
  try {
    return Buffer.byteLength(typeof v === "string" ? v : (JSON.stringify(v) ?? ""));
  } catch {
    return -1;
  }
}

/** What a log line may say about a payload. */
export function payloadSummary(v: unknown): { redacted: "payload"; bytes: number; keys?: string[] } {
  const keys = typeof v === "object" && v !== null && !Array.isArray(v) ? Object.keys(v).slice(0, 20) : undefined;
  return { redacted: "payload", bytes: byteLength(v), ...(keys && { keys }) };
}

/** An error as a log line may show it: type, code, redacted message and stack; no other field. */
export function safeError(err: unknown): unknown {
  if (!(err instanceof Error)) return typeof err === "string" ? redact(err) : err;
  const code = (err as { code?: unknown }).code;
  return { type: err.name, message: redact(err.message), ...(typeof code === "string" && { code }), ...(err.stack && { stack: redact(err.stack) }) };
}

/** Copies a log object with payloads summarised, credentials masked and errors reduced. */
export function scrubLogObject(value: unknown, key = "", depth = 0, seen = new WeakSet<object>()): unknown {
  if (key && SECRET_KEY.test(key) && value !== undefined && value !== null && typeof value !== "boolean" && typeof value !== "number") return "[redacted]";
  if (key && PAYLOAD_KEY.test(key) && value !== undefined && value !== null) return payloadSummary(value);
  if (typeof value === "string") return redact(value);
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Error) return safeError(value);
  if (value instanceof Date) return value;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return { redacted: "bytes", bytes: value.byteLength };
  if (seen.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[too deep]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrubLogObject(v, "", depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubLogObject(v, k, depth + 1, seen);
  return out;
}

/** Structured JSON logs on stdout (what the cluster's log pipeline expects). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: "camunda-orchestrator-worker" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: (obj) => scrubLogObject(obj) as Record<string, unknown> },
    serializers: { err: safeError },
    hooks: {
      logMethod(args, method) {
        // log.error(err) would take the message from err.message after this hook: name it here.
        const [first, ...rest] = args as unknown[];
        const lead = first instanceof Error ? [{ err: first }, ...(rest.length === 0 ? [first.message] : [])] : [first];
        return method.apply(this, [...lead, ...rest].map((a) => (typeof a === "string" ? redact(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
