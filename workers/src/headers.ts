// Task headers of the worker's job types, read defensively (headers are strings set in the model).

export interface CallHeaders {
  path: string;
  timeoutMs: number;
  resultVariable: string;
}

export interface CompensationHeaders {
  compensationPath: string;
  timeoutMs: number;
  /** Element id of the step this handler undoes; default: every succeeded step of the service in the instance. */
  compensates?: string;
}

function positiveInt(v: string | undefined, fallback: number): number {
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function withSlash(p: string): string {
  return p.startsWith("/") ? p : `/${p}`;
}

export function callHeaders(h: Record<string, string | undefined>, service: string, defaultTimeoutMs: number): CallHeaders {
  return {
    path: withSlash(h.path || "/api/process"),
    timeoutMs: positiveInt(h.timeoutMs, defaultTimeoutMs),
    resultVariable: h.resultVariable || service,
  };
}

export function compensationHeaders(h: Record<string, string | undefined>, defaultTimeoutMs: number): CompensationHeaders {
  return {
    compensationPath: withSlash(h.compensationPath || "/api/compensate"),
    timeoutMs: positiveInt(h.timeoutMs, defaultTimeoutMs),
    compensates: h.compensates || undefined,
  };
}

/** Service name of a task type, or undefined when the type is not one of ours. */
export function parseTaskType(type: string): { kind: "call" | "compensate"; service: string } | undefined {
  const m = /^(call-microservice|compensate)-(.+)$/.exec(type);
  if (!m) return undefined;
  return { kind: m[1] === "compensate" ? "compensate" : "call", service: m[2] };
}
