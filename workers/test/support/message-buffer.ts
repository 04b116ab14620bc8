// Zeebe's message buffer and its messageId uniqueness rule (docs 8.8, messages.md "Message buffering" and
// "Message uniqueness"), shared by both modes of the gateway peer. A published message with a time to live > 0
// stays buffered until it expires, and while it is buffered Zeebe keeps its (name, correlation key, messageId)
// as a uniqueness key (the broker's MESSAGE_IDS column family): a second message with the same key is rejected
// with ALREADY_EXISTS and correlates nothing. With TTL 0 nothing is buffered, so nothing is checked; after
// expiry the same id is accepted again.
import { ALREADY_EXISTS, GatewayError, newKey, Variables } from "./gateway-error";

export interface MessageRequest {
  name: string;
  correlationKey: string;
  timeToLive: number;
  messageId: string;
  variables: Variables;
}

export interface BufferedMessage {
  key: string;
  name: string;
  correlationKey: string;
  messageId: string;
  variables: Variables;
  expiresAt: number;
  /** Zeebe correlates a message at most once per process (bpmnProcessId), across versions. */
  correlatedTo: Set<string>;
}

export class MessageBuffer {
  private readonly buffered: BufferedMessage[] = [];

  /**
   * Zeebe's PublishMessage: refuses a duplicate of a buffered message, hands the new message to `deliver`
   * (correlation, message start events), then buffers it for its time to live. Returns the message.
   */
  publish(req: MessageRequest, deliver: (msg: BufferedMessage) => void = () => undefined): BufferedMessage {
    const now = Date.now();
    this.expire(now);
    if (req.messageId && this.buffered.some((m) => m.name === req.name && m.correlationKey === req.correlationKey && m.messageId === req.messageId)) {
      throw new GatewayError(ALREADY_EXISTS, `Expected to publish a new message with id '${req.messageId}', but a message with that id was already published`);
    }
    const msg: BufferedMessage = {
      key: newKey(),
      name: req.name,
      correlationKey: req.correlationKey,
      messageId: req.messageId,
      variables: req.variables,
      expiresAt: now + req.timeToLive,
      correlatedTo: new Set(),
    };
    deliver(msg);
    if (req.timeToLive > 0) this.buffered.push(msg);
    return msg;
  }

  /** The first buffered, unexpired message matching `match` (a subscription opened after the publish). */
  find(match: (m: BufferedMessage) => boolean): BufferedMessage | undefined {
    const now = Date.now();
    return this.buffered.find((m) => m.expiresAt > now && match(m));
  }

  private expire(now: number): void {
    for (let i = this.buffered.length - 1; i >= 0; i--) if (this.buffered[i].expiresAt <= now) this.buffered.splice(i, 1);
  }
}
