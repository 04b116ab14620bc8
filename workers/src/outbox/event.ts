// An event on its way to the bus through the transactional outbox (table event_outbox, saga-log migration 3).
import { randomUUID } from "node:crypto";
import { EVENT_ID_HEADER } from "../events/event-id";

export interface OutboxEvent {
  /** Chosen once, when the row is written: every (re-)publish of this event carries it as the event-id header. */
  eventId: string;
  topic: string;
  /** Record key; also the ordering key: events of one key are published in the order they were written. */
  key: string;
  value: unknown;
  headers: Record<string, string>;
}

export function outboxEvent(topic: string, key: string, value: unknown, headers: Record<string, string> = {}): OutboxEvent {
  const eventId = headers[EVENT_ID_HEADER] ?? randomUUID();
  return { eventId, topic, key, value, headers: { ...headers, [EVENT_ID_HEADER]: eventId } };
}

/** Column arrays for one `unnest` insert, in write order (JSON text: it carries any value, \u0000 included). */
export function outboxColumns(events: readonly OutboxEvent[]): [string[], string[], string[], string[], string[]] {
  return [
    events.map((e) => e.eventId),
    events.map((e) => e.topic),
    events.map((e) => e.key),
    events.map((e) => JSON.stringify(e.value ?? null)),
    events.map((e) => JSON.stringify(e.headers)),
  ];
}

/**
 * Inserts the events given as $1..$5 (see outboxColumns), keeping their order; a repeated event id is written once.
 * Usable as a statement of its own or as a data-modifying CTE.
 */
export const INSERT_OUTBOX_SQL = `insert into event_outbox (event_id, topic, event_key, payload, headers)
  select event_id, topic, event_key, payload, headers
  from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) with ordinality as t(event_id, topic, event_key, payload, headers, ord)
  order by ord
  on conflict (event_id) do nothing`;
