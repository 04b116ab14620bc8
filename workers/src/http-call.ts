// One HTTP POST to a microservice, with a per-call timeout. Never throws: the result says what happened.
// Redirects are never followed: following one would hand the job's variables and its Idempotency-Key
// to whatever host the Location names. A redirect is a transient failure (README: "Redirects").
import { CallOutcome, classifyError, classifyStatus } from "./classify";
import { REDACTED, redact } from "./redact";
import { endHttpClientSpan, startHttpClientSpan, tracingEnabled } from "./tracing";

export interface CallResult {
  outcome: CallOutcome;
  status?: number;
  body?: unknown;
  /** The reply body was larger than the cap: reading stopped there and `body` is undefined. */
  bodyTooLarge?: boolean;
  durationMs: number;
}

export async function postJson(
  url: string,
  payload: unknown,
  headers: Record<string, string>,
  timeoutMs: number,
  maxBodyBytes = Infinity,
): Promise<CallResult> {
  // A client span when tracing is on; the service gets its W3C context (traceparent) with the request.
  const traced = tracingEnabled() ? startHttpClientSpan("POST", url) : undefined;
  const result = await post(url, payload, { ...headers, ...traced?.headers }, timeoutMs, maxBodyBytes);
  if (traced) endHttpClientSpan(traced.span, result.status, result.outcome.kind === "success" ? undefined : result.outcome.reason);
  return result;
}

async function post(url: string, payload: unknown, headers: Record<string, string>, timeoutMs: number, maxBodyBytes: number): Promise<CallResult> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify(payload ?? {}),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    });
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => undefined);
      return {
        outcome: { kind: "transient", reason: redirectRefused(res.status, res.headers.get("location"), url) },
        status: res.status,
        durationMs: performance.now() - started,
      };
    }
    const outcome = classifyStatus(res.status);
    const text = await readCapped(res, maxBodyBytes);
    if (text === undefined) return { outcome, status: res.status, bodyTooLarge: true, durationMs: performance.now() - started };
    return { outcome, status: res.status, body: parseBody(text), durationMs: performance.now() - started };
  } catch (err) {
    return { outcome: classifyError(err), durationMs: performance.now() - started };
  }
}

/** Names the status and where it pointed (no credentials, no query: it may hold a signed token). */
export function redirectRefused(status: number, location: string | null, from: string): string {
  let target = "";
  if (location) {
    try {
      const u = new URL(location, from);
      const userinfo = u.password ? `${u.username}:${REDACTED}@` : u.username ? `${REDACTED}@` : "";
      target = ` to ${redact(`${u.protocol}//${userinfo}${u.host}${u.pathname}`).slice(0, 300)}`;
    } catch {
      target = " to an unreadable Location";
    }
  }
  return `HTTP ${status} redirect${target} refused: redirects are never followed`;
}

/** The body as text, or undefined as soon as it exceeds maxBytes (the rest is never read). */
async function readCapped(res: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(res.headers.get("content-length"));
  if (!res.body || (Number.isFinite(declared) && declared > maxBytes)) {
    await res.body?.cancel().catch(() => undefined);
    return res.body ? undefined : "";
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseBody(text: string): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
