/**
 * Idempotency key of a step: one per element instance. Every delivery of a job (redelivery after a crash or
 * a timeout, a retry) keeps its elementInstanceKey; each loop or multi-instance iteration gets a new one.
 * "call" keys go with the call of a step, "compensate" keys with the undo of that call.
 */
export function idempotencyKey(kind: "call" | "compensate", processInstanceKey: string, elementInstanceKey: string): string {
  return `${kind}-${processInstanceKey}-${elementInstanceKey}`;
}
