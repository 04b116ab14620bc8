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
  const result = schema.safeParse(value, { error: plainMessage });
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

/** What a value must be, in words: the types zod names in `expected`. */
const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a map of keys to values",
  record: "a map of keys to values",
};

/**
 * Issue messages in plain words, used wherever a schema has no message of its own: what is wrong and
 * what is allowed, never the library's wording ("Invalid input: expected string, received undefined").
 * The value that was given is appended by {@link describeReceived}.
 */
function plainMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type": {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return issue.input === undefined ? `is required (${expected})` : `must be ${expected}`;
    }
    case "invalid_value":
      return issue.values.length === 1 ? `must be ${JSON.stringify(issue.values[0])}` : `must be one of ${issue.values.map(String).join(", ")}`;
    case "too_small":
      return boundMessage("at least", "more than", issue.origin, Number(issue.minimum), issue.inclusive !== false);
    case "too_big":
      return boundMessage("at most", "less than", issue.origin, Number(issue.maximum), issue.inclusive !== false);
    case "invalid_format":
      return "pattern" in issue && issue.pattern ? `must match ${String(issue.pattern)}` : `must be a valid ${issue.format}`;
    default:
      return undefined;
  }
}

function boundMessage(inclusiveWord: string, exclusiveWord: string, origin: string, bound: number, inclusive: boolean): string {
  const word = inclusive ? inclusiveWord : exclusiveWord;
  if (origin === "string") return bound === 1 && inclusiveWord === "at least" ? "must not be empty" : `must have ${word} ${bound} characters`;
  if (origin === "array" || origin === "set") return `must list ${word} ${bound} ${bound === 1 ? "entry" : "entries"}`;
  return `must be ${word} ${bound}`;
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
