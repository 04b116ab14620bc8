// The event bridge: inbound events become Zeebe actions, each event handled once.
//   <prefix>.triggers  -> publishMessage start:<bpmnProcessId> (message start event; Zeebe refuses a second
//                         message with the same id while the first is buffered, so a start is idempotent even
//                         when the Redis de-duplication is lost), or createProcessInstance for a process that has
//                         no such start event in the models this worker deployed (not idempotent without Redis)
//   <prefix>.responses -> publishMessage (name and correlation key from the event)
//   <prefix>.errors    -> publishMessage COMPENSATION_MESSAGE (starts compensation in the saga template)
// Invalid events and events Zeebe rejects for good go to <prefix>.dead-letter; other failures are
// thrown so the bus redelivers them.
import type { EventBus, InboundEvent, TopicNames } from "./bus";
import type { Dedup } from "./dedup";
import { EVENT_ID_HEADER } from "./event-id";
import { describeIssues, errorSchema, responseSchema, triggerSchema } from "./payloads";
import { startMessageName } from "./start-message";
import { classifyZeebeError } from "./zeebe-errors";
import { endSpan, runIn, startConsumerSpan, traceHeaders, tracingEnabled } from "../tracing";

/** Message name the compensation-saga template waits on (boundary event of "Await confirmation"). */
export const COMPENSATION_MESSAGE = "saga-compensation-requested";
export const DEFAULT_BRIDGE_GROUP = "event-bridge";
export const DEFAULT_MESSAGE_TTL_MS = 600_000;
/** How long a start message stays buffered, i.e. how long Zeebe refuses a second start for the same trigger. */
export const DEFAULT_START_MESSAGE_TTL_MS = 3_600_000;
/** The topics the bridge consumes. */
export const bridgeTopics = (topics: TopicNames): string[] => [topics.triggers, topics.responses, topics.errors];

// Same shape as the SDK's own JSON variables type (which it does not export), so its client fits BridgeZeebe.
type Json = string | number | boolean | Json[] | JsonDoc[] | JsonDoc;
interface JsonDoc {
  [key: string]: Json | undefined;
}
export type Variables = { [key: string]: Json };
/** Event values come from JSON, so their records hold JSON values. */
const asVariables = (v: Record<string, unknown> | undefined): Variables => (v ?? {}) as Variables;

/** The part of the SDK's ZeebeGrpcClient the bridge uses. */
export interface BridgeZeebe {
  createProcessInstance(req: { bpmnProcessId: string; variables: Variables }): Promise<unknown>;
  publishMessage(req: { name: string; correlationKey: string; timeToLive: number; messageId: string; variables: Variables }): Promise<unknown>;
}

/** A pino logger fits. */
export interface BridgeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface EventBridgeOptions {
  bus: EventBus;
  zeebe: BridgeZeebe;
  dedup: Dedup;
  topics: TopicNames;
  log: BridgeLog;
  group?: string;
  /** Buffer time of published messages when the event names none (ms). */
  defaultTimeToLiveMs?: number;
  /** Processes with a message start event start:<bpmnProcessId> (processesStartedByMessage of the deployed models). */
  messageStartProcesses?: ReadonlySet<string>;
  /** Buffer time of start messages (ms): a redelivered trigger within it starts nothing. */
  startMessageTtlMs?: number;
}

export interface ActionOptions {
  defaultTimeToLiveMs?: number;
  messageStartProcesses?: ReadonlySet<string>;
  startMessageTtlMs?: number;
}

type MessageRequest = { name: string; correlationKey: string; timeToLive: number; messageId: string; variables: Variables };

export type ZeebeAction =
  | { kind: "start"; request: { bpmnProcessId: string; variables: Variables } }
  | { kind: "start-message"; request: MessageRequest }
  | { kind: "message"; request: MessageRequest }
  | { kind: "invalid"; reason: string };

/** What an inbound event asks of Zeebe; pure. The event id becomes the messageId so Zeebe also de-duplicates. */
export function toZeebeAction(event: InboundEvent, topics: TopicNames, opts: ActionOptions = {}): ZeebeAction {
  const defaultTimeToLiveMs = opts.defaultTimeToLiveMs ?? DEFAULT_MESSAGE_TTL_MS;
  if (event.topic === topics.triggers) {
    const p = triggerSchema.safeParse(event.value);
    if (!p.success) return { kind: "invalid", reason: `invalid trigger: ${describeIssues(p.error)}` };
    const { bpmnProcessId } = p.data;
    if (opts.messageStartProcesses?.has(bpmnProcessId)) {
      // Correlation key = event id too: uniqueness is per (name, correlation key, id), and a start message with a
      // correlation key also starts no second instance while one it started with that key is active.
      return {
        kind: "start-message",
        request: {
          name: startMessageName(bpmnProcessId),
          correlationKey: event.id,
          timeToLive: opts.startMessageTtlMs ?? DEFAULT_START_MESSAGE_TTL_MS,
          messageId: event.id,
          variables: asVariables(p.data.variables),
        },
      };
    }
    return { kind: "start", request: { bpmnProcessId, variables: asVariables(p.data.variables) } };
  }
  if (event.topic === topics.responses) {
    const p = responseSchema.safeParse(event.value);
    if (!p.success) return { kind: "invalid", reason: `invalid response: ${describeIssues(p.error)}` };
    return {
      kind: "message",
      request: {
        name: p.data.messageName,
        correlationKey: p.data.correlationKey,
        timeToLive: p.data.timeToLiveMs ?? defaultTimeToLiveMs,
        messageId: event.id,
        variables: asVariables(p.data.variables),
      },
    };
  }
  if (event.topic === topics.errors) {
    const p = errorSchema.safeParse(event.value);
    if (!p.success) return { kind: "invalid", reason: `invalid error event: ${describeIssues(p.error)}` };
    return {
      kind: "message",
      request: {
        name: COMPENSATION_MESSAGE,
        correlationKey: p.data.correlationKey,
        timeToLive: defaultTimeToLiveMs,
        messageId: event.id,
        variables: asVariables({ ...p.data.variables, compensationRequest: { error: p.data.error, eventId: event.id } }),
      },
    };
  }
  return { kind: "invalid", reason: `no bridge route for topic ${event.topic}` };
}

export async function startEventBridge(opts: EventBridgeOptions): Promise<void> {
  const { bus, zeebe, dedup, topics, log } = opts;
  const group = opts.group ?? DEFAULT_BRIDGE_GROUP;

  const deadLetter = async (event: InboundEvent, reason: string) => {
    log.warn({ eventId: event.id, topic: event.topic, reason }, "event sent to dead-letter");
    await bus.publish(topics.deadLetter, {
      key: event.key ?? event.id,
      value: { reason, sourceTopic: event.topic, eventId: event.id, key: event.key, value: event.value },
      // A fixed id: should this publish be repeated after a failure, consumers see one dead letter.
      headers: { [EVENT_ID_HEADER]: `dead-letter/${event.id}`, "source-event-id": event.id },
    });
  };

  const warnedNotIdempotent = new Set<string>();
  const perform = async (event: InboundEvent) => {
    const action = toZeebeAction(event, topics, opts);
    if (action.kind === "invalid") return deadLetter(event, action.reason);
    if (action.kind === "start" && !warnedNotIdempotent.has(action.request.bpmnProcessId)) {
      warnedNotIdempotent.add(action.request.bpmnProcessId);
      log.warn(
        { bpmnProcessId: action.request.bpmnProcessId, startMessage: startMessageName(action.request.bpmnProcessId) },
        "no message start event for this process among the deployed models: triggers use CreateProcessInstance, which can start it twice if the de-duplication in Redis is lost",
      );
    }
    // A started instance carries the trace context on (its jobs' spans continue it): see tracing.ts.
    if (action.kind === "start" || action.kind === "start-message") Object.assign(action.request.variables, traceHeaders());
    try {
      const result = action.kind === "start" ? await zeebe.createProcessInstance(action.request) : await zeebe.publishMessage(action.request);
      // The SDK resolves null instead of acting when its client is closing: not done, so redeliver.
      if (result === null) throw new Error("zeebe client is closing; event not applied");
      log.info({ eventId: event.id, topic: event.topic, action: action.kind }, "event applied");
    } catch (err) {
      const outcome = classifyZeebeError(err);
      if (outcome === "duplicate") {
        log.info({ eventId: event.id, topic: event.topic, action: action.kind }, "zeebe already has this event (same message id): nothing to do");
        return;
      }
      if (outcome === "permanent") return deadLetter(event, `zeebe rejected ${action.kind}: ${(err as Error).message}`);
      throw err;
    }
  };

  const handle = async (event: InboundEvent) => {
    if (!(await dedup.once(group, event.id, () => perform(event)))) {
      log.info({ eventId: event.id, topic: event.topic }, "duplicate event skipped");
    }
  };
  await bus.subscribe(bridgeTopics(topics), group, async (event) => {
    if (!tracingEnabled()) return handle(event);
    // A span per delivery, continuing the producer's trace when the event's headers carry one.
    const { span, ctx } = startConsumerSpan(event.topic, event.id, event.headers);
    try {
      await runIn(ctx, () => handle(event));
      endSpan(span);
    } catch (err) {
      endSpan(span, err);
      throw err;
    }
  });
}
