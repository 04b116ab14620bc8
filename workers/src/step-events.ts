// Saga step events on the event bus. Publishing never fails a job: a failed publish is logged
// and counted (the saga log stays the source of truth).
import type { Logger } from "pino";
import type { EventBus, TopicNames } from "./events/bus";
import type { Metrics } from "./metrics";
import { errorText } from "./redact";
import { traceHeaders } from "./tracing";

export type StepEventType = "step.started" | "step.completed" | "step.failed" | "step.compensated";

export interface StepContext {
  processInstanceKey: string;
  bpmnProcessId: string;
  elementId: string;
  service: string;
  jobKey: string;
}

export class StepEvents {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly bus: EventBus | undefined, private readonly topics: TopicNames, private readonly metrics: Metrics, private readonly log: Logger) {}

  step(type: StepEventType, ctx: StepContext, extra: Record<string, unknown> = {}): void {
    this.send(this.topics.workflowEvents, ctx.processInstanceKey, { type, ...ctx, ...extra, at: new Date().toISOString() });
  }

  serviceResult(ctx: StepContext, status: number | undefined, body: unknown): void {
    this.send(this.topics.serviceResults, ctx.processInstanceKey, { ...ctx, status, body, at: new Date().toISOString() });
  }

  compensationTrigger(ctx: StepContext, undo: string[]): void {
    this.send(this.topics.compensationTriggers, ctx.processInstanceKey, { ...ctx, compensates: undo, at: new Date().toISOString() });
  }

  /** Dead letters are awaited: the caller needs to know whether the record left the process. */
  async deadLetter(key: string, value: Record<string, unknown>): Promise<boolean> {
    if (!this.bus) return false;
    try {
      await this.bus.publish(this.topics.deadLetter, { key, value, headers: { "x-event-type": "compensation.dead-letter", ...traceHeaders() } });
      return true;
    } catch (err) {
      this.metrics.eventPublishFailures.inc({ topic: this.topics.deadLetter });
      // The record holds the requests and responses to replay (personal data): never log it.
      this.log.error({ err: errorText(err), topic: this.topics.deadLetter, processInstanceKey: key, recordBytes: Buffer.byteLength(JSON.stringify(value)) }, "dead-letter publish failed");
      return false;
    }
  }

  /** Waits for events still being published (shutdown). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private send(topic: string, key: string, value: Record<string, unknown>): void {
    if (!this.bus) return;
    const p = this.bus
      // The job's trace context: consumers continue the trace of the step that wrote the event.
      .publish(topic, { key, value, headers: { "x-event-type": String(value.type ?? topic), ...traceHeaders() } })
      .catch((err) => {
        this.metrics.eventPublishFailures.inc({ topic });
        this.log.warn({ err: errorText(err), topic }, "event publish failed");
      })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }
}
