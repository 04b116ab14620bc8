import { z } from "zod";
import { DEFAULT_SAGA_PATTERNS, SAGA_PATTERNS, SagaPattern } from "../workers/src/contract";
import { CPU_QUANTITY, DNS_LABEL, ENV_NAME, HOSTNAME, isZeroQuantity, MEMORY_QUANTITY } from "./quantities";
import { parseOrThrow, strictObject, ValidationError } from "./validation";
import { environmentEntryProblem } from "./worker-environment-check";

// The worker's contract is the one source of the saga patterns and their default.
export { SAGA_PATTERNS, SagaPattern };

const TOPIC_PREFIX = /^[a-zA-Z0-9._-]+$/;
/** Longest component name: it prefixes Kubernetes names such as `<name>-camunda-zeebe-gateway` (63 max). */
export const MAX_COMPONENT_NAME_LENGTH = 30;

const PLATFORM_RULE = "a DNS label naming the event platform (lower case letters, digits, '-')";

/**
 * A Kubernetes quantity, written as a string or, as YAML allows and Kubernetes accepts, a plain number
 * (`cpu: 2`, `memory: 1e9`); it leaves as the string Kubernetes takes.
 */
function quantity(pattern: RegExp, what: string, examples: string) {
  const rule = `must be a Kubernetes ${what} quantity such as ${examples}`;
  return z.union([z.number().nonnegative().finite().transform(String), z.string()], { error: `${rule}, written as a string or a number` }).pipe(
    z
      .string()
      .regex(pattern, rule)
      .refine((q) => !isZeroQuantity(q), "must be more than zero"),
  );
}

/** Properties of a `camunda-orchestrator` component, as written in an OAM Application or stack config. */
export const componentPropertiesSchema = strictObject({
  realtimePlatform: z
    .string({ error: (issue) => (issue.input === undefined ? `is required: ${PLATFORM_RULE}` : `must be ${PLATFORM_RULE}`) })
    .regex(DNS_LABEL, `must be ${PLATFORM_RULE}`),
  camundaMode: z.enum(["embedded", "remote"]).default("embedded"),
  enableEventStreaming: z.boolean().default(true),
  sagaPatterns: z
    .array(z.enum(SAGA_PATTERNS))
    .refine((patterns) => new Set(patterns).size === patterns.length, "must not list a pattern twice")
    .default([...DEFAULT_SAGA_PATTERNS]),
  topicsPrefix: z.string().regex(TOPIC_PREFIX, "may contain only letters, digits, '.', '_' and '-'").max(200).optional(),
  language: z.enum(["typescript", "javascript", "java", "go", "python"]).optional(),
  framework: z.string().min(1).optional(),
  repository: z.string().min(1).optional(),
  enableIstioGateway: z.boolean().default(false),
  gatewayHost: z.string().regex(HOSTNAME, "must be a DNS hostname such as orders.example.com").optional(),
  resources: strictObject({
    cpu: quantity(CPU_QUANTITY, "CPU", "500m, 0.5 or 2 (cores; m for millicores)"),
    memory: quantity(MEMORY_QUANTITY, "memory", "512Mi, 2Gi or 1e9 (bytes; Ki/Mi/Gi binary, k/M/G decimal)"),
  }).default({ cpu: "500m", memory: "512Mi" }),
  environment: z
    .record(z.string().regex(ENV_NAME, "must be an environment variable name (letters, digits, '_', not starting with a digit)"), z.string())
    .superRefine((environment, ctx) => {
      for (const [name, value] of Object.entries(environment)) {
        const problem = environmentEntryProblem(name, value);
        if (problem) ctx.addIssue({ code: "custom", path: [name], message: problem });
      }
    })
    .default({}),
}).superRefine((props, ctx) => {
  if (props.enableIstioGateway && !props.gatewayHost) {
    ctx.addIssue({
      code: "custom",
      path: ["gatewayHost"],
      message: "is required when enableIstioGateway is true (the host the Istio Gateway serves, e.g. orders.example.com)",
    });
  }
  if (!props.enableIstioGateway && props.gatewayHost) {
    ctx.addIssue({
      code: "custom",
      path: ["gatewayHost"],
      message: "is set but enableIstioGateway is false; set enableIstioGateway: true or remove gatewayHost",
    });
  }
  if ((props.language === undefined) !== (props.framework === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: [props.language === undefined ? "language" : "framework"],
      message: "language and framework go together: set both to scaffold repositories, or neither",
    });
  }
});

export type ComponentPropertiesInput = z.input<typeof componentPropertiesSchema>;

/** Validated properties with defaults applied; `topicsPrefix` is always set. */
export type ComponentProperties = Omit<z.output<typeof componentPropertiesSchema>, "topicsPrefix"> & { topicsPrefix: string };

/** One orchestrator to create: its component name and validated properties. */
export interface OrchestratorSpec {
  name: string;
  properties: ComponentProperties;
}

/** Validates one component's name and properties and applies the defaults. */
export function validateComponent(name: unknown, properties: unknown): OrchestratorSpec {
  const subject = `component "${String(name)}"`;
  if (typeof name !== "string" || !DNS_LABEL.test(name) || name.length > MAX_COMPONENT_NAME_LENGTH) {
    throw new ValidationError([
      `${subject}: name: must be a DNS label of at most ${MAX_COMPONENT_NAME_LENGTH} characters (lower case letters, digits, '-'), since it prefixes Kubernetes names`,
    ]);
  }
  const parsed = parseOrThrow(componentPropertiesSchema, properties ?? {}, subject, "properties");
  return { name, properties: { ...parsed, topicsPrefix: parsed.topicsPrefix ?? name } };
}

/** Validates every component and reports all problems at once; names must be unique. */
export function validateComponents(components: ReadonlyArray<{ name: unknown; properties: unknown }>): OrchestratorSpec[] {
  const problems: string[] = [];
  const specs: OrchestratorSpec[] = [];
  const seen = new Set<string>();
  for (const component of components) {
    try {
      const spec = validateComponent(component.name, component.properties);
      if (seen.has(spec.name)) problems.push(`component "${spec.name}": name: used by more than one component; names must be unique`);
      seen.add(spec.name);
      specs.push(spec);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return specs;
}
