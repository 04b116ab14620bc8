import { randomUUID } from "node:crypto";

/** Header carrying a publisher-chosen id, so consumers de-duplicate the same event on any bus. */
export const EVENT_ID_HEADER = "event-id";

/** The headers to send: the caller's, plus a fresh event id unless the caller chose one (e.g. to make a retried publish idempotent). */
export function withEventId(headers: Record<string, string> | undefined): Record<string, string> {
  return headers?.[EVENT_ID_HEADER] ? { ...headers } : { ...headers, [EVENT_ID_HEADER]: randomUUID() };
}

/** Values on the wire are JSON; a value that is not JSON is passed on as its raw text so validation can reject it. */
export function decodeValue(raw: string | null): unknown {
  if (raw === null) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
