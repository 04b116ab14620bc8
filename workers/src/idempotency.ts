import { createHash } from "crypto";

/**
 * Idempotency key of a step: the same for every delivery of the job of one element in one
 * process instance (Zeebe gives a redelivered job the same processInstanceKey and elementId,
 * but a multi-instance or loop re-entry gets a new element instance, hence elementInstanceKey is not used).
 */
export function idempotencyKey(processInstanceKey: string, elementId: string, kind: "call" | "compensate" = "call"): string {
  const digest = createHash("sha256").update(`${kind}\u0000${processInstanceKey}\u0000${elementId}`).digest("hex").slice(0, 32);
  return `${kind}-${processInstanceKey}-${digest}`;
}
