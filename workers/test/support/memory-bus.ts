// An in-memory EventBus that records what is published (for tests of the worker core).
import type { EventBus, InboundEvent, OutboundEvent } from "../../src/events/bus";

export class RecordingBus implements EventBus {
  readonly published: { topic: string; event: OutboundEvent }[] = [];
  /** When true, ping() and publish() fail as an unreachable bus would. */
  down = false;
  private readonly handlers: { topics: string[]; handler: (e: InboundEvent) => Promise<void> }[] = [];

  async publish(topic: string, event: OutboundEvent): Promise<void> {
    if (this.down) throw new Error("bus unreachable");
    this.published.push({ topic, event });
  }

  async subscribe(topics: string[], _group: string, handler: (event: InboundEvent) => Promise<void>): Promise<void> {
    this.handlers.push({ topics, handler });
  }

  async ping(): Promise<void> {
    if (this.down) throw new Error("bus unreachable");
  }

  async close(): Promise<void> {
    this.handlers.length = 0;
  }

  on(topic: string): Record<string, any>[] {
    return this.published.filter((p) => p.topic === topic).map((p) => p.event.value as Record<string, any>);
  }
}
