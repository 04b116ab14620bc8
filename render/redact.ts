import * as pulumi from "@pulumi/pulumi";
import { REDACTED } from "./types";

const { specialSigKey, specialSecretSig } = pulumi.runtime;

function isSecretMarker(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[specialSigKey] === specialSecretSig;
}

/** Replaces every value the engine holds as secret with the redaction marker. */
export function redactSecrets(value: unknown): unknown {
  if (isSecretMarker(value)) return REDACTED;
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

/**
 * A Kubernetes Secret's payload is never written, secret-marked or not; its keys are kept, so a
 * reader sees what the Secret holds. Runs on raw inputs, before markers are replaced.
 */
export function redactSecretPayload(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (type !== "kubernetes:core/v1:Secret") return inputs;
  const mask = (data: unknown) => {
    const plain = isSecretMarker(data) ? data.value : data;
    return plain !== null && typeof plain === "object" ? Object.fromEntries(Object.keys(plain).map((k) => [k, REDACTED])) : REDACTED;
  };
  const result = { ...inputs };
  for (const field of ["data", "stringData"]) if (result[field] !== undefined) result[field] = mask(result[field]);
  return result;
}

/**
 * Finds where a known secret value (config secrets, generated passwords) appears in plain text:
 * a secret that lost its marker on the way is a bug to stop on, not to hide.
 */
export function findLeaks(value: unknown, secrets: readonly string[], path = ""): string[] {
  if (typeof value === "string") return secrets.some((s) => value.includes(s)) ? [path || "(value)"] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => findLeaks(v, secrets, `${path}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => findLeaks(v, secrets, path ? `${path}.${k}` : k));
  }
  return [];
}
