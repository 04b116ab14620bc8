// Pure helpers: configuration, backoff, idempotency keys, error classification, headers, models.
import * as assert from "assert";
import { backoffMs } from "../src/backoff";
import { classifyError, classifyStatus } from "../src/classify";
import { ConfigError, loadConfig } from "../src/config";
import { taskTypesOf } from "../src/deploy";
import { callHeaders, compensationHeaders, parseTaskType } from "../src/headers";
import { readiness } from "../src/http-server";
import { idempotencyKey } from "../src/idempotency";

const base = { DATABASE_URL: "postgres://u:p@db:5432/saga" };

describe("config", () => {
  it("applies defaults", () => {
    const c = loadConfig(base);
    assert.strictEqual(c.ZEEBE_GRPC_ADDRESS, "grpc://localhost:26500");
    assert.strictEqual(c.CAMUNDA_AUTH_STRATEGY, "NONE");
    assert.strictEqual(c.PORT, 8080);
    assert.strictEqual(c.ENABLE_EVENT_STREAMING, false);
    assert.strictEqual(c.DISCOVERY_LABEL_SELECTOR, "orchestration.platform/managed=true");
    assert.deepStrictEqual(c.DISCOVERY_NAMESPACES, []);
    assert.deepStrictEqual(c.SAGA_PATTERNS, ["compensation", "timeout", "retry"]);
    assert.match(c.WORKFLOWS_DIR, /workers\/workflows$/);
  });

  it("waits for a later step's compensation longer than the job timeout by default, so a handler lost in a crash comes back in time", () => {
    // Zeebe hands a job held by a dead worker out again only after JOB_TIMEOUT_MS.
    assert.strictEqual(loadConfig(base).COMPENSATION_ORDER_WAIT_MS, 70_000);
    assert.strictEqual(loadConfig({ ...base, JOB_TIMEOUT_MS: "30000" }).COMPENSATION_ORDER_WAIT_MS, 40_000);
    assert.strictEqual(loadConfig({ ...base, COMPENSATION_ORDER_WAIT_MS: "0" }).COMPENSATION_ORDER_WAIT_MS, 0, "an explicit value wins");
  });

  it("parses lists, booleans, numbers and the static service map", () => {
    const c = loadConfig({
      ...base,
      ENABLE_EVENT_STREAMING: "true",
      EVENT_BUS: "kafka",
      KAFKA_BROKERS: "k1:9092, k2:9092",
      REDIS_URL: "redis://r:6379",
      SAGA_PATTERNS: "retry",
      DISCOVERY_NAMESPACES: "a,b",
      PORT: "9000",
      MAX_JOBS_ACTIVE: "8",
      DISCOVERY_STATIC_SERVICES: '{"payment":"http://localhost:9001"}',
    });
    assert.deepStrictEqual(c.KAFKA_BROKERS, ["k1:9092", "k2:9092"]);
    assert.deepStrictEqual(c.SAGA_PATTERNS, ["retry"]);
    assert.deepStrictEqual(c.DISCOVERY_NAMESPACES, ["a", "b"]);
    assert.deepStrictEqual(c.DISCOVERY_STATIC_SERVICES, { payment: "http://localhost:9001" });
    assert.strictEqual(c.PORT, 9000);
    assert.strictEqual(c.MAX_JOBS_ACTIVE, 8);
  });

  it("normalises the SASL mechanism spelling of the Pulumi Kafka provider to kafkajs'", () => {
    const sasl = { KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "p" };
    assert.strictEqual(loadConfig({ ...base, ...sasl, KAFKA_SASL_MECHANISM: "scram-sha512" }).KAFKA_SASL_MECHANISM, "scram-sha-512");
    assert.strictEqual(loadConfig({ ...base, ...sasl, KAFKA_SASL_MECHANISM: "SCRAM-SHA-256" }).KAFKA_SASL_MECHANISM, "scram-sha-256");
    assert.throws(() => loadConfig({ ...base, ...sasl, KAFKA_SASL_MECHANISM: "gssapi" }), /KAFKA_SASL_MECHANISM must be plain, scram-sha-256 or scram-sha-512/);
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{}, /^invalid configuration: DATABASE_URL is required \(not set\)$/],
    [
      { ...base, DATABASE_URL: "mysql://saga:pw@x" },
      /^invalid configuration: DATABASE_URL must be a URL with scheme postgres or postgresql \(got "mysql:\/\/saga:\*\*\*@x"\)$/,
    ],
    [{ ...base, ZEEBE_GRPC_ADDRESS: "localhost:26500" }, /ZEEBE_GRPC_ADDRESS must be a URL with scheme grpc or grpcs/],
    [{ ...base, PORT: "http" }, /PORT must be a number/],
    [{ ...base, PORT: "70000" }, /PORT must be at most 65535/],
    [{ ...base, ENABLE_EVENT_STREAMING: "yes" }, /ENABLE_EVENT_STREAMING must be true or false/],
    [{ ...base, SAGA_PATTERNS: "compensation,undo" }, /SAGA_PATTERNS each entry must be one of compensation, timeout, retry/],
    [{ ...base, CAMUNDA_AUTH_STRATEGY: "OAUTH", ZEEBE_CLIENT_ID: "id" }, /ZEEBE_CLIENT_SECRET is required when CAMUNDA_AUTH_STRATEGY=OAUTH \(not set\)/],
    [{ ...base, ENABLE_EVENT_STREAMING: "true", REDIS_URL: "redis://r" }, /KAFKA_BROKERS is required when ENABLE_EVENT_STREAMING=true and EVENT_BUS=kafka/],
    [{ ...base, ENABLE_EVENT_STREAMING: "true", EVENT_BUS: "redis-streams" }, /REDIS_URL is required when ENABLE_EVENT_STREAMING=true/],
    [{ ...base, DISCOVERY_STATIC_SERVICES: "{not json" }, /DISCOVERY_STATIC_SERVICES must be a JSON object mapping service names/],
    [
      { ...base, KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "" },
      /KAFKA_SASL_PASSWORD is required when KAFKA_SASL_MECHANISM is set/,
    ],
    [{ ...base, TOPICS_PREFIX: "has space" }, /TOPICS_PREFIX must contain only/],
    [{ ...base, BACKOFF_BASE_MS: "5000", BACKOFF_CAP_MS: "1000" }, /BACKOFF_CAP_MS must be at least BACKOFF_BASE_MS/],
  ];
  for (const [env, re] of bad) {
    it(`rejects ${JSON.stringify(env).slice(0, 90)} with one line naming the variable`, () => {
      assert.throws(
        () => loadConfig(env),
        (e: Error) => e instanceof ConfigError && re.test(e.message) && !e.message.includes("\n"),
      );
    });
  }

  it("never echoes a secret value", () => {
    assert.throws(
      () => loadConfig({ ...base, CAMUNDA_AUTH_STRATEGY: "OAUTH", ZEEBE_CLIENT_ID: "id", ZEEBE_CLIENT_SECRET: "s3cret", CAMUNDA_OAUTH_URL: "nope" }),
      (e: Error) => /CAMUNDA_OAUTH_URL/.test(e.message) && !e.message.includes("s3cret"),
    );
  });
});

describe("backoff", () => {
  it("grows exponentially within [exp/2, exp] and is capped", () => {
    assert.strictEqual(
      backoffMs(1, 1000, 60000, () => 0),
      500,
    );
    assert.strictEqual(
      backoffMs(1, 1000, 60000, () => 1),
      1000,
    );
    assert.strictEqual(
      backoffMs(3, 1000, 60000, () => 0.5),
      3000,
    );
    assert.strictEqual(
      backoffMs(20, 1000, 60000, () => 1),
      60000,
    );
    assert.strictEqual(
      backoffMs(20, 1000, 60000, () => 0),
      30000,
    );
    for (let a = 1; a < 8; a++) assert.ok(backoffMs(a + 1, 100, 1e6, () => 0) >= backoffMs(a, 100, 1e6, () => 1), "never shrinks from one attempt to the next");
  });
});

describe("idempotency key", () => {
  it("is one per element instance and kind: a redelivery keeps it, a loop iteration gets another", () => {
    const k = idempotencyKey("call", "2251799813685249", "2251799813685300");
    assert.strictEqual(k, idempotencyKey("call", "2251799813685249", "2251799813685300"));
    assert.notStrictEqual(k, idempotencyKey("call", "2251799813685249", "2251799813685301"), "next iteration");
    assert.notStrictEqual(k, idempotencyKey("call", "2251799813685250", "2251799813685300"));
    assert.notStrictEqual(k, idempotencyKey("compensate", "2251799813685249", "2251799813685300"));
    assert.strictEqual(k, "call-2251799813685249-2251799813685300");
  });
});

describe("error classification", () => {
  it("classifies statuses", () => {
    assert.strictEqual(classifyStatus(200).kind, "success");
    assert.strictEqual(classifyStatus(204).kind, "success");
    for (const s of [408, 429, 500, 502, 503, 504]) assert.strictEqual(classifyStatus(s).kind, "transient", String(s));
    for (const s of [400, 401, 403, 404, 409, 422]) assert.strictEqual(classifyStatus(s).kind, "business", String(s));
  });
  it("classifies errors before a response as transient", () => {
    assert.deepStrictEqual(classifyError(Object.assign(new Error("t"), { name: "TimeoutError" })), { kind: "transient", reason: "timeout" });
    assert.deepStrictEqual(classifyError(Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } })), {
      kind: "transient",
      reason: "connection error ECONNREFUSED",
    });
  });
});

describe("task headers and types", () => {
  it("reads call headers with defaults", () => {
    assert.deepStrictEqual(callHeaders({}, "payment", 10000), { path: "/api/process", timeoutMs: 10000, resultVariable: "payment" });
    assert.deepStrictEqual(callHeaders({ path: "api/charge", timeoutMs: "2500", resultVariable: "r" }, "payment", 10000), {
      path: "/api/charge",
      timeoutMs: 2500,
      resultVariable: "r",
    });
    assert.strictEqual(callHeaders({ timeoutMs: "-3" }, "p", 10000).timeoutMs, 10000);
    assert.deepStrictEqual(compensationHeaders({}, 5000), { compensationPath: "/api/compensate", timeoutMs: 5000, compensates: undefined });
  });
  it("parses task types", () => {
    assert.deepStrictEqual(parseTaskType("call-microservice-order-service"), { kind: "call", service: "order-service" });
    assert.deepStrictEqual(parseTaskType("compensate-payment"), { kind: "compensate", service: "payment" });
    assert.strictEqual(parseTaskType("publish-and-wait"), undefined);
  });
  it("extracts static task types from models", () => {
    const xml =
      '<zeebe:taskDefinition type="call-microservice-a" retries="3"/><zeebe:taskDefinition retries="1" type="compensate-a"/><zeebe:taskDefinition type="=dynamicType"/>';
    assert.deepStrictEqual(taskTypesOf([{ name: "x.bpmn", content: Buffer.from(xml) }]), ["call-microservice-a", "compensate-a"]);
  });
});

describe("readiness", () => {
  it("is ready only when every check passes in time", async () => {
    const ok = async () => undefined;
    assert.deepStrictEqual(await readiness({ a: ok, b: ok }, 100), { ready: true, checks: { a: "UP", b: "UP" } });
    const r = await readiness(
      {
        a: ok,
        slow: () => new Promise((res) => setTimeout(res, 500)),
        bad: async () => {
          throw new Error("refused");
        },
      },
      50,
    );
    assert.strictEqual(r.ready, false);
    assert.strictEqual(r.checks.a, "UP");
    assert.match(r.checks.slow, /DOWN: slow timed out after 50 ms/);
    assert.strictEqual(r.checks.bad, "DOWN: refused");
  });
});
