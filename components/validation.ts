import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/**
 * Raised for invalid user input (component properties, stack settings, OAM files).
 * Its message lists every problem, one per line, each naming where it is and what is allowed.
 */
export class ValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ValidationError";
  }
}

/** A strict object schema whose unknown-key error lists the keys that are allowed. */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown ${issue.keys.length > 1 ? "properties" : "property"} ${issue.keys.map((k) => `"${k}"`).join(", ")}; allowed: ${allowed}`
        : undefined,
  });
}

/** Parses `value` with `schema` or throws a ValidationError whose lines read `<subject>: <path>: <problem>`. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, subject: string, pathPrefix = ""): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => {
      const keys = issue.path.map(String);
      // A prefix ending in ':' is a config namespace: `camunda-orchestrator:key`, not `camunda-orchestrator:.key`.
      const path = pathPrefix.endsWith(":")
        ? keys.length > 0
          ? pathPrefix + keys.join(".")
          : pathPrefix.slice(0, -1)
        : [pathPrefix, ...keys].filter((part) => part !== "").join(".");
      // A bad record key reports its own problems nested; name them, not "Invalid key in record".
      if (issue.code === "invalid_key") return `${subject}: ${path}: ${issue.issues.map((inner) => inner.message).join("; ")}`;
      return `${subject}: ${path || "(root)"}: ${issue.message}${describeReceived(issue, value)}`;
    }),
  );
}

function describeReceived(issue: z.core.$ZodIssue, root: unknown): string {
  if (issue.code === "unrecognized_keys" || issue.code === "custom") return "";
  let value: unknown = root;
  for (const key of issue.path) {
    if (value === null || typeof value !== "object") return "";
    value = (value as Record<PropertyKey, unknown>)[key as PropertyKey];
  }
  return value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
}

/**
 * Invalid input found by a component: a `pulumi.ResourceError` on the component, so the engine names the
 * resource, with the problems as a ValidationError lists them.
 */
export class InvalidResourceError extends pulumi.ResourceError {
  constructor(
    readonly problems: string[],
    resource: pulumi.Resource,
  ) {
    super(problems.join("\n"), resource);
    this.name = "InvalidResourceError";
  }
}
