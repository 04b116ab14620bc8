// Event bus contract: the worker publishes and consumes through this interface only.
// Adapters (Kafka, Redis Streams) live beside it in workers/src/events/.

export interface OutboundEvent {
  key: string;
  value: unknown;
  headers?: Record<string, string>;
}

export interface InboundEvent {
  topic: string;
  /** Stable per record (same on redelivery), used for de-duplication. */
  id: string;
  key: string | null;
  value: unknown;
  /** The record's headers (text values), e.g. its trace context (`traceparent`). */
  headers?: Record<string, string>;
}

export interface EventBus {
  publish(topic: string, event: OutboundEvent): Promise<void>;
  subscribe(topics: string[], group: string, handler: (event: InboundEvent) => Promise<void>): Promise<void>;
  /** Throws when the bus is unreachable (readiness). */
  ping(): Promise<void>;
  /**
   * Per topic, the records `group` has yet to process: not delivered yet, or delivered and not acknowledged.
   * Topics the group does not read yet, or whose lag the bus cannot tell, are left out.
   */
  consumerLag?(group: string, topics: string[]): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export interface TopicNames {
  workflowEvents: string;
  serviceResults: string;
  compensationTriggers: string;
  deadLetter: string;
  triggers: string;
  responses: string;
  errors: string;
}

export function topicNames(prefix: string): TopicNames {
  return {
    workflowEvents: `${prefix}.workflow-events`,
    serviceResults: `${prefix}.service-results`,
    compensationTriggers: `${prefix}.compensation-triggers`,
    deadLetter: `${prefix}.dead-letter`,
    triggers: `${prefix}.triggers`,
    responses: `${prefix}.responses`,
    errors: `${prefix}.errors`,
  };
}
