// One HTTP POST to a microservice, with a per-call timeout. Never throws: the result says what happened.
import { CallOutcome, classifyError, classifyStatus } from "./classify";

export interface CallResult {
  outcome: CallOutcome;
  status?: number;
  body?: unknown;
  durationMs: number;
}

export async function postJson(url: string, payload: unknown, headers: Record<string, string>, timeoutMs: number): Promise<CallResult> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify(payload ?? {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    return { outcome: classifyStatus(res.status), status: res.status, body: parseBody(text), durationMs: performance.now() - started };
  } catch (err) {
    return { outcome: classifyError(err), durationMs: performance.now() - started };
  }
}

function parseBody(text: string): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
