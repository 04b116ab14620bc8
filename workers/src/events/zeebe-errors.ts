// Which Zeebe gateway errors retrying cannot fix. The SDK rejects with the gRPC ServiceError (numeric `code`).
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;

export type ZeebeOutcome = "retry" | "permanent" | "duplicate";

export function classifyZeebeError(err: unknown): ZeebeOutcome {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === ALREADY_EXISTS) return "duplicate"; // e.g. a message with this messageId is still buffered
  if (code === INVALID_ARGUMENT || code === NOT_FOUND || code === FAILED_PRECONDITION) return "permanent";
  return "retry"; // unavailable, deadline, backpressure, unknown: let the bus redeliver
}
