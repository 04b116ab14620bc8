// Worker configuration from environment variables, validated once at start-up.
import * as path from "path";
import { z } from "zod";
import { redact } from "./redact";

const bool = (def: boolean) =>
  z
    .enum(["true", "false"], { message: "must be true or false" })
    .default(def ? "true" : "false")
    .transform((v) => v === "true");
const int = (def: number, min = 1) =>
  z.coerce.number({ message: "must be a number" }).int("must be an integer").min(min, `must be at least ${min}`).default(def);
const list = z
  .string()
  .default("")
  .transform((v) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
const url = (schemes: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return schemes.includes(new URL(v).protocol.replace(/:$/, ""));
      } catch {
        return false;
      }
    },
    `must be a URL with scheme ${schemes.join(" or ")}`,
  );

/** The saga behaviours the worker can enable (SAGA_PATTERNS). */
export const SAGA_PATTERNS = ["compensation", "timeout", "retry"] as const;
export type SagaPattern = (typeof SAGA_PATTERNS)[number];
/** What SAGA_PATTERNS means when unset; the components apply the same default (workers/src/contract.ts). */
export const DEFAULT_SAGA_PATTERNS: readonly SagaPattern[] = SAGA_PATTERNS;
// The OpenTelemetry SDK reads the OTEL_* variables itself; they are declared here so that start-up rejects a bad
// value with a clear message (the SDK would log and fall back) and the components know their names.
const OTEL_TRACES_EXPORTERS = ["otlp", "console", "none"] as const;
const OTEL_SAMPLERS = ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"] as const;
/** W3C Baggage-style list the OTLP exporter sends as HTTP headers: `key=value,key2=value2` (values URL-encoded). */
const otlpHeaders = z
  .string()
  .refine(
    (v) => v.split(",").every((pair) => /^\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*=.*$/.test(pair)),
    "must be a comma-separated list of key=value pairs (header names as keys, values URL-encoded)",
  )
  .optional();
const RESPONSE_MAX_BYTES_LIMIT = 3 * 1024 * 1024;

/**
 * Every environment variable the worker reads. The deploying components derive the names they set from
 * this schema (workers/src/contract.ts): a new variable is declared here and nowhere else.
 */
export const configSchema = z
  .object({
    ZEEBE_GRPC_ADDRESS: url(["grpc", "grpcs"]).default("grpc://localhost:26500"),
    ZEEBE_REST_ADDRESS: url(["http", "https"]).optional(),
    // The SDK's own variable names (@camunda8/sdk src/lib/Configuration.ts).
    CAMUNDA_AUTH_STRATEGY: z.enum(["NONE", "OAUTH", "BASIC"], { message: "must be NONE, OAUTH or BASIC" }).default("NONE"),
    ZEEBE_CLIENT_ID: z.string().min(1).optional(),
    ZEEBE_CLIENT_SECRET: z.string().min(1).optional(),
    CAMUNDA_OAUTH_URL: url(["http", "https"]).optional(),
    ZEEBE_TOKEN_AUDIENCE: z.string().min(1).optional(),
    CAMUNDA_BASIC_AUTH_USERNAME: z.string().min(1).optional(),
    CAMUNDA_BASIC_AUTH_PASSWORD: z.string().min(1).optional(),
    // OAuth tokens are cached in memory; on disk only in this directory (the SDK's default, $HOME/.camunda,
    // is not writable on a read-only root filesystem and the SDK exits when it cannot write there).
    CAMUNDA_TOKEN_CACHE_DIR: z.string().min(1).optional(),
    DATABASE_URL: url(["postgres", "postgresql"]),
    REDIS_URL: url(["redis", "rediss"]).optional(),
    ENABLE_EVENT_STREAMING: bool(false),
    EVENT_BUS: z.enum(["kafka", "redis-streams"]).default("kafka"),
    KAFKA_BROKERS: list,
    KAFKA_SSL: bool(false),
    // Accepts kafkajs spelling (scram-sha-512) and the Kafka provider's (scram-sha512), any case.
    KAFKA_SASL_MECHANISM: z
      .string()
      .transform((v) => v.toLowerCase().replace(/^scram-sha(256|512)$/, "scram-sha-$1"))
      .pipe(z.enum(["plain", "scram-sha-256", "scram-sha-512"], { message: "must be plain, scram-sha-256 or scram-sha-512" }))
      .optional(),
    KAFKA_SASL_USERNAME: z.string().optional(),
    KAFKA_SASL_PASSWORD: z.string().optional(),
    TOPICS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, "must contain only letters, digits, '.', '_' and '-'")
      .default("orchestrator"),
    SAGA_PATTERNS: z
      .string()
      .default(DEFAULT_SAGA_PATTERNS.join(","))
      .transform((v) =>
        v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(SAGA_PATTERNS, { message: `each entry must be one of ${SAGA_PATTERNS.join(", ")}` }))),
    DISCOVERY_LABEL_SELECTOR: z.string().min(1).default("orchestration.platform/managed=true"),
    DISCOVERY_NAMESPACES: list,
    DISCOVERY_STATIC_SERVICES: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === "") return undefined;
        try {
          const parsed = z.record(z.string(), url(["http", "https"])).parse(JSON.parse(v));
          return parsed;
        } catch {
          ctx.addIssue({
            code: "custom",
            message: 'must be a JSON object mapping service names to http(s) base URLs, e.g. {"payment":"http://localhost:9001"}',
          });
          return z.NEVER;
        }
      }),
    WORKFLOWS_DIR: z
      .string()
      .min(1)
      .default(path.resolve(__dirname, "..", "workflows")),
    PORT: int(8080, 0).pipe(z.number().max(65535, "must be at most 65535")),
    MAX_JOBS_ACTIVE: int(64),
    POLL_INTERVAL_MS: int(20),
    JOB_TIMEOUT_MS: int(60000),
    CALL_TIMEOUT_MS: int(10000),
    BACKOFF_BASE_MS: int(1000),
    BACKOFF_CAP_MS: int(60000),
    SHUTDOWN_DRAIN_MS: int(20000, 0),
    // Zeebe's gateway refuses messages over 4 MB (its default maxMessageSize): a reply must fit in a CompleteJob.
    RESPONSE_MAX_BYTES: int(1_048_576).pipe(
      z.number().max(RESPONSE_MAX_BYTES_LIMIT, `must be at most ${RESPONSE_MAX_BYTES_LIMIT} (a CompleteJob must stay under the gateway's 4 MB message limit)`),
    ),
    // Unset: JOB_TIMEOUT_MS + ORDER_WAIT_MARGIN_MS (see loadConfig).
    COMPENSATION_ORDER_WAIT_MS: z.coerce.number({ message: "must be a number" }).int("must be an integer").min(0, "must be at least 0").optional(),
    JOB_WORKER_STALL_MS: int(30000),
    DEDUP_TTL_MS: int(86_400_000),
    START_MESSAGE_TTL_MS: int(3_600_000),
    OUTBOX_POLL_INTERVAL_MS: int(100),
    OUTBOX_BATCH_SIZE: int(200).pipe(z.number().max(10_000, "must be at most 10000")),
    OUTBOX_RETENTION_MS: int(3_600_000, 0),
    OTEL_SDK_DISABLED: bool(false),
    OTEL_TRACES_EXPORTER: list.pipe(z.array(z.enum(OTEL_TRACES_EXPORTERS, { message: `each entry must be one of ${OTEL_TRACES_EXPORTERS.join(", ")}` }))),
    OTEL_EXPORTER_OTLP_ENDPOINT: url(["http", "https"]).optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(["http", "https"]).optional(),
    OTEL_EXPORTER_OTLP_HEADERS: otlpHeaders,
    OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(["http/protobuf", "http/json", "grpc"], { message: "must be http/protobuf, http/json or grpc" }).optional(),
    OTEL_SERVICE_NAME: z.string().min(1).optional(),
    OTEL_RESOURCE_ATTRIBUTES: z.string().optional(),
    OTEL_TRACES_SAMPLER: z.enum(OTEL_SAMPLERS, { message: `must be one of ${OTEL_SAMPLERS.join(", ")}` }).optional(),
    OTEL_TRACES_SAMPLER_ARG: z.coerce.number({ message: "must be a number" }).min(0, "must be between 0 and 1").max(1, "must be between 0 and 1").optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    // Set by Knative in every revision (not by whoever deploys the worker): with both, a revision retires itself
    // once a newer one is ready (src/rollout.ts).
    K_SERVICE: z.string().min(1).optional(),
    K_REVISION: z.string().min(1).optional(),
    ROLLOUT_POLL_MS: int(5000),
  })
  .superRefine((c, ctx) => {
    if (c.CAMUNDA_AUTH_STRATEGY === "OAUTH") {
      for (const k of ["ZEEBE_CLIENT_ID", "ZEEBE_CLIENT_SECRET", "CAMUNDA_OAUTH_URL"] as const) {
        if (!c[k]) ctx.addIssue({ code: "custom", path: [k], message: "is required when CAMUNDA_AUTH_STRATEGY=OAUTH" });
      }
    }
    if (c.CAMUNDA_AUTH_STRATEGY === "BASIC") {
      for (const k of ["CAMUNDA_BASIC_AUTH_USERNAME", "CAMUNDA_BASIC_AUTH_PASSWORD"] as const) {
        if (!c[k]) ctx.addIssue({ code: "custom", path: [k], message: "is required when CAMUNDA_AUTH_STRATEGY=BASIC" });
      }
    }
    if (c.ENABLE_EVENT_STREAMING && c.EVENT_BUS === "kafka" && c.KAFKA_BROKERS.length === 0) {
      ctx.addIssue({ code: "custom", path: ["KAFKA_BROKERS"], message: "is required when ENABLE_EVENT_STREAMING=true and EVENT_BUS=kafka" });
    }
    if (c.ENABLE_EVENT_STREAMING && !c.REDIS_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["REDIS_URL"],
        message: "is required when ENABLE_EVENT_STREAMING=true (event de-duplication, and the bus when EVENT_BUS=redis-streams)",
      });
    }
    if (c.KAFKA_SASL_MECHANISM && (!c.KAFKA_SASL_USERNAME || !c.KAFKA_SASL_PASSWORD)) {
      ctx.addIssue({
        code: "custom",
        path: [c.KAFKA_SASL_USERNAME ? "KAFKA_SASL_PASSWORD" : "KAFKA_SASL_USERNAME"],
        message: "is required when KAFKA_SASL_MECHANISM is set",
      });
    }
    if (c.CALL_TIMEOUT_MS >= c.JOB_TIMEOUT_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["CALL_TIMEOUT_MS"],
        message: `must be less than JOB_TIMEOUT_MS (${c.JOB_TIMEOUT_MS}): a call must end before Zeebe hands the job to another worker`,
      });
    }
    if (c.BACKOFF_CAP_MS < c.BACKOFF_BASE_MS) {
      ctx.addIssue({ code: "custom", path: ["BACKOFF_CAP_MS"], message: "must be at least BACKOFF_BASE_MS" });
    }
  });

export type Config = Omit<z.output<typeof configSchema>, "COMPENSATION_ORDER_WAIT_MS"> & { COMPENSATION_ORDER_WAIT_MS: number };

/**
 * How much longer than the job timeout a compensation waits, by default, for a later step that no compensation
 * job has taken on: a handler activated by a worker that died before beginning it comes back from Zeebe only
 * after JOB_TIMEOUT_MS, and the reverse order must survive that.
 */
export const ORDER_WAIT_MARGIN_MS = 10_000;

export class ConfigError extends Error {}

const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIALS|_KEY$|HEADERS$/;

/** A value as an error may quote it: credentials in URLs masked, bounded, on one line. */
function shownValue(value: string): string {
  const v = redact(value).replace(/\s+/g, " ");
  return v.length > 200 ? `${v.slice(0, 200)}…` : v;
}

/** Parses the environment; throws ConfigError whose message is one line naming the variable (never a credential). */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset" (Kubernetes often renders optional variables as "").
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = configSchema.safeParse(cleaned);
  if (result.success)
    return { ...result.data, COMPENSATION_ORDER_WAIT_MS: result.data.COMPENSATION_ORDER_WAIT_MS ?? result.data.JOB_TIMEOUT_MS + ORDER_WAIT_MARGIN_MS };
  const issue = result.error.issues[0];
  const name = String(issue.path[0] ?? "environment");
  const value = cleaned[name];
  const shown = value === undefined ? "not set" : SECRET_NAME.test(name) ? "value hidden" : `got "${shownValue(value)}"`;
  const message = issue.code === "invalid_type" && value === undefined ? "is required" : issue.message;
  throw new ConfigError(`invalid configuration: ${name} ${message} (${shown})`);
}
