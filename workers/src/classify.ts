// What to do with the outcome of a microservice call.
import { redact } from "./redact";

export type CallOutcome = { kind: "success" } | { kind: "transient"; reason: string } | { kind: "business"; reason: string };

/** 2xx success; 408, 429 and 5xx transient (retry); any other status a business rejection. */
export function classifyStatus(status: number): CallOutcome {
  if (status >= 200 && status < 300) return { kind: "success" };
  if (status === 408 || status === 429 || status >= 500) return { kind: "transient", reason: `HTTP ${status}` };
  return { kind: "business", reason: `HTTP ${status}` };
}

/** Errors before a response (connection refused/reset, DNS, timeout) are transient. */
export function classifyError(err: unknown): CallOutcome {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return { kind: "transient", reason: "timeout" };
  const code = e?.cause?.code;
  // fetch quotes the URL in some messages (e.g. one that carries credentials): redact.
  return { kind: "transient", reason: code ? `connection error ${code}` : `connection error: ${redact(e?.cause?.message ?? e?.message ?? String(err))}` };
}

/** BPMN error codes thrown by the worker (documented in README). */
export const BPMN_ERRORS = {
  businessRejection: "BUSINESS_REJECTION",
} as const;
