// What both modes of the gateway peer share: gRPC-status-coded errors and Zeebe-like keys.

export type Variables = Record<string, unknown>;

/** gRPC-status-coded error (the peer maps `code` onto the gRPC status). */
export class GatewayError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
export const INVALID_ARGUMENT = 3;
export const NOT_FOUND = 5;
export const ALREADY_EXISTS = 6;
export const FAILED_PRECONDITION = 9;
export const DEADLINE_EXCEEDED = 4;

let nextKey = 2251799813700000n;
export function newKey(): string {
  nextKey += 1n;
  return nextKey.toString();
}
