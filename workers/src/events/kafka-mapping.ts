// Pure mapping between the bus contract and kafkajs messages.
import type { IHeaders, KafkaMessage, Message } from "kafkajs";
import type { InboundEvent, OutboundEvent } from "./bus";
import { decodeValue, EVENT_ID_HEADER, withEventId } from "./event-id";

export function toKafkaMessage(event: OutboundEvent): Message {
  return { key: event.key, value: JSON.stringify(event.value), headers: withEventId(event.headers) };
}

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
}

/** Every header with a value, as text (a repeated header: its first value). */
function headerTexts(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) {
    const v = headerText(headers, name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** id: the publisher's event-id header, else the record's position, which is stable across redeliveries. */
export function fromKafkaRecord(topic: string, partition: number, message: KafkaMessage): InboundEvent {
  return {
    topic,
    id: headerText(message.headers, EVENT_ID_HEADER) ?? `${topic}/${partition}/${message.offset}`,
    key: message.key === null ? null : message.key.toString(),
    value: decodeValue(message.value === null ? null : message.value.toString()),
    headers: headerTexts(message.headers),
  };
}
