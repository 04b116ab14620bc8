// Pure mapping between the bus contract and Redis stream entries.
// Field layout of an entry: key <string>, value <JSON>, headers <JSON object of strings>.
import type { InboundEvent, OutboundEvent } from "./bus";
import { decodeValue, EVENT_ID_HEADER, withEventId } from "./event-id";

export function toStreamFields(event: OutboundEvent): string[] {
  return ["key", event.key, "value", JSON.stringify(event.value), "headers", JSON.stringify(withEventId(event.headers))];
}

function fieldMap(fields: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i]!, fields[i + 1]!);
  return m;
}

function parseHeaders(raw: string | undefined): Record<string, string> {
  const parsed = decodeValue(raw ?? null);
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
  return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** id: the publisher's event-id header, else the stream entry id (stable across redeliveries). */
export function fromStreamEntry(topic: string, entryId: string, fields: string[]): InboundEvent {
  const m = fieldMap(fields);
  const headers = parseHeaders(m.get("headers"));
  return {
    topic,
    id: headers[EVENT_ID_HEADER] ?? entryId,
    key: m.get("key") ?? null,
    value: decodeValue(m.get("value") ?? null),
    headers,
  };
}
