// Saga step events and dead letters, built as outbox events. They reach the bus only through the outbox: the
// handlers hand them to the saga log, which writes them in the same transaction as the change they describe
// (or alone, when no saga-log change goes with them), and the relay publishes them (src/outbox/relay.ts).
import type { TopicNames } from "./events/bus";
import { OutboxEvent, outboxEvent } from "./outbox/event";
import { traceHeaders } from "./tracing";

export type StepEventType = "step.started" | "step.completed" | "step.failed" | "step.compensated";

export interface StepContext {
  processInstanceKey: string;
  bpmnProcessId: string;
  elementId: string;
  service: string;
  jobKey: string;
}

export const DEAD_LETTER_EVENT_TYPE = "compensation.dead-letter";

/** Every builder returns the events to write: none when event streaming is off (no topics). */
export class StepEvents {
  constructor(private readonly topics?: TopicNames) {}

  step(type: StepEventType, ctx: StepContext, extra: Record<string, unknown> = {}): OutboxEvent[] {
    return this.event((t) => t.workflowEvents, ctx.processInstanceKey, { type, ...ctx, ...extra, at: new Date().toISOString() }, type);
  }

  serviceResult(ctx: StepContext, status: number | undefined, body: unknown): OutboxEvent[] {
    return this.event((t) => t.serviceResults, ctx.processInstanceKey, { ...ctx, status, body, at: new Date().toISOString() });
  }

  compensationTrigger(ctx: StepContext, undo: string[]): OutboxEvent[] {
    return this.event((t) => t.compensationTriggers, ctx.processInstanceKey, { ...ctx, compensates: undo, at: new Date().toISOString() });
  }

  deadLetter(key: string, value: Record<string, unknown>): OutboxEvent[] {
    return this.event((t) => t.deadLetter, key, value, DEAD_LETTER_EVENT_TYPE);
  }

  /** Header x-event-type: the event's type, or its topic for events without one (service results, triggers). */
  private event(topic: (t: TopicNames) => string, key: string, value: Record<string, unknown>, type?: string): OutboxEvent[] {
    if (!this.topics) return [];
    const name = topic(this.topics);
    // The context of the job that builds the event: consumers continue the trace of the step that wrote it.
    return [outboxEvent(name, key, value, { "x-event-type": type ?? name, ...traceHeaders() })];
  }
}
