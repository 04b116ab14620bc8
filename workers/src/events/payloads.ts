// Schemas of the inbound events the bridge accepts (documented in workers/EVENTS.md).
import { z } from "zod";

const variables = z.record(z.string(), z.unknown());

export const triggerSchema = z.object({
  bpmnProcessId: z.string().min(1),
  variables: variables.optional(),
});

export const responseSchema = z.object({
  messageName: z.string().min(1),
  correlationKey: z.string().min(1),
  variables: variables.optional(),
  timeToLiveMs: z.number().int().nonnegative().optional(),
});

export const errorSchema = z.object({
  correlationKey: z.string().min(1),
  error: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  variables: variables.optional(),
});

/** One line naming every failing field, for the dead-letter reason. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(value)"}: ${i.message}`).join("; ");
}
