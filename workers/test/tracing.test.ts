// Tracing configuration and the pure parts of trace propagation (the saga-wide behaviour: tracing.e2e.test.ts).
import * as assert from "assert";
import type { KafkaMessage } from "kafkajs";
import { ConfigError, loadConfig } from "../src/config";
import { fromKafkaRecord, toKafkaMessage } from "../src/events/kafka-mapping";
import { fromStreamEntry, toStreamFields } from "../src/events/redis-streams-mapping";
import { diagText, rootSampleRatio, tracingConfigured } from "../src/telemetry";
import { instanceSpanContext, jobParentContext, withoutTraceVariables } from "../src/tracing";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { tracing } from "@opentelemetry/sdk-node";
import type { SagaLog } from "../src/saga/log";
import { withTracedWrites } from "../src/saga/traced";

const base = { DATABASE_URL: "postgres://u@db/x" };
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("tracing configuration (OTEL_* variables)", () => {
  it("is off unless an exporter or an OTLP endpoint is configured, and off when disabled", () => {
    const on = (env: Record<string, string>) => tracingConfigured(loadConfig({ ...base, ...env }));
    assert.strictEqual(on({}), false, "nothing set: no export to localhost");
    assert.strictEqual(on({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }), true);
    assert.strictEqual(on({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://collector/v1/traces" }), true);
    assert.strictEqual(on({ OTEL_TRACES_EXPORTER: "otlp" }), true, "a named exporter uses the SDK's default endpoint");
    assert.strictEqual(on({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }), false);
    assert.strictEqual(on({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }), false);
  });

  it("takes the root sampling ratio from OTEL_TRACES_SAMPLER and its argument", () => {
    const ratio = (env: Record<string, string>) => rootSampleRatio(loadConfig({ ...base, ...env }));
    assert.strictEqual(ratio({}), 1);
    assert.strictEqual(ratio({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.25" }), 0.25);
    assert.strictEqual(ratio({ OTEL_TRACES_SAMPLER: "traceidratio" }), 1);
    assert.strictEqual(ratio({ OTEL_TRACES_SAMPLER: "parentbased_always_off" }), 0);
  });

  for (const [env, message] of [
    [
      { OTEL_TRACES_SAMPLER: "sometimes" },
      /^invalid configuration: OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio \(got "sometimes"\)$/,
    ],
    [{ OTEL_TRACES_SAMPLER_ARG: "1.5" }, /^invalid configuration: OTEL_TRACES_SAMPLER_ARG must be between 0 and 1/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }, /^invalid configuration: OTEL_EXPORTER_OTLP_ENDPOINT must be a URL with scheme http or https/],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: "thrift" }, /^invalid configuration: OTEL_EXPORTER_OTLP_PROTOCOL must be http\/protobuf, http\/json or grpc/],
    [{ OTEL_TRACES_EXPORTER: "otlp,jaeger" }, /^invalid configuration: OTEL_TRACES_EXPORTER each entry must be one of otlp, console, none/],
  ] as const) {
    it(`rejects ${JSON.stringify(env)} with one line naming the variable`, () => {
      assert.throws(
        () => loadConfig({ ...base, ...env }),
        (err: Error) => err instanceof ConfigError && message.test(err.message),
      );
    });
  }

  it("checks the OTLP headers' format without ever echoing their value", () => {
    assert.strictEqual(
      loadConfig({ ...base, OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20abc,x-scope=shop" }).OTEL_EXPORTER_OTLP_HEADERS,
      "authorization=Bearer%20abc,x-scope=shop",
    );
    assert.throws(
      () => loadConfig({ ...base, OTEL_EXPORTER_OTLP_HEADERS: "Bearer sekrit-token" }),
      (err: Error) =>
        err.message ===
        "invalid configuration: OTEL_EXPORTER_OTLP_HEADERS must be a comma-separated list of key=value pairs (header names as keys, values URL-encoded) (value hidden)",
    );
  });

  it("reduces the SDK's diagnostics to one redacted line (an exception's name and message, never its stack)", () => {
    const exported = JSON.stringify({
      stack: "OTLPExporterError: Unauthorized\n    at x (/secret/path.js:1:1)",
      message: "Unauthorized",
      name: "OTLPExporterError",
      code: 401,
    });
    assert.strictEqual(diagText(exported, []), "OTLPExporterError: Unauthorized (code 401)");
    assert.strictEqual(
      diagText("export failed", [new Error("connect ECONNREFUSED http://user:pw@collector:4318")]),
      "export failed Error: connect ECONNREFUSED http://user:***@collector:4318",
    );
  });
});

describe("trace context carriers", () => {
  it("a job's parent is the instance's traceparent variable, else one context per instance key", () => {
    const fromVariables = trace.getSpanContext(jobParentContext({ processInstanceKey: "1", variables: { traceparent: TRACEPARENT } }));
    assert.deepStrictEqual([fromVariables?.traceId, fromVariables?.spanId], ["4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"]);
    const a = instanceSpanContext("2251799813685249");
    assert.deepStrictEqual(instanceSpanContext("2251799813685249"), a, "every replica derives the same");
    assert.notStrictEqual(instanceSpanContext("2251799813685250").traceId, a.traceId);
    assert.match(a.traceId, /^[0-9a-f]{32}$/);
    assert.match(a.spanId, /^[0-9a-f]{16}$/);
    const malformed = trace.getSpanContext(jobParentContext({ processInstanceKey: "2251799813685249", variables: { traceparent: "not-a-traceparent" } }));
    assert.strictEqual(malformed?.traceId, a.traceId, "a malformed variable counts as none");
  });

  it("keeps the trace context out of the variables handed to handlers (and so out of payloads and the saga log)", () => {
    const vars = { orderId: "o-1", traceparent: TRACEPARENT, tracestate: "vendor=x" };
    assert.deepStrictEqual(withoutTraceVariables(vars), { orderId: "o-1" });
    const plain = { orderId: "o-2" };
    assert.strictEqual(withoutTraceVariables(plain), plain, "no copy when there is nothing to remove");
  });

  it("Kafka and Redis Streams records bring their headers (the trace context among them) to the consumer", () => {
    const kafka = toKafkaMessage({ key: "k", value: {}, headers: { traceparent: TRACEPARENT } });
    const received = {
      key: null,
      value: null,
      timestamp: "0",
      attributes: 0,
      offset: "0",
      headers: { ...(kafka.headers as Record<string, string>), traceparent: Buffer.from(TRACEPARENT) },
    } as KafkaMessage;
    assert.strictEqual(fromKafkaRecord("t", 0, received).headers?.traceparent, TRACEPARENT);
    assert.strictEqual(
      fromStreamEntry("t", "1-0", toStreamFields({ key: "k", value: {}, headers: { traceparent: TRACEPARENT } })).headers?.traceparent,
      TRACEPARENT,
    );
  });
});

describe("saga-log writes as spans (withTracedWrites)", () => {
  const exporter = new tracing.InMemorySpanExporter();
  before(() => {
    trace.setGlobalTracerProvider(new tracing.BasicTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] }));
  });
  after(() => trace.disable());
  beforeEach(() => exporter.reset());

  /** A saga log whose methods answer without PostgreSQL; `this` must be the log itself. */
  const fakeLog = () => {
    const log = {
      pool: "the log's own state",
      begin: async function (this: { pool: string }) {
        return this.pool;
      },
      finishUndo: async () => {
        throw new Error("connection lost");
      },
      get: function (this: { pool: string }) {
        return this.pool;
      },
    };
    return withTracedWrites(log as unknown as SagaLog) as unknown as typeof log;
  };

  it("gives every write a client span named after it, on the saga log itself", async () => {
    const traced = fakeLog();
    assert.strictEqual(await traced.begin(), "the log's own state");
    const [span] = exporter.getFinishedSpans();
    assert.strictEqual(span.name, "saga-log begin");
    assert.strictEqual(span.kind, SpanKind.CLIENT);
    assert.deepStrictEqual(span.attributes, { "db.system.name": "postgresql", "db.operation.name": "begin" });
    assert.strictEqual(span.status.code, SpanStatusCode.UNSET);
  });

  it("marks a failed write's span as an error and passes the error on", async () => {
    await assert.rejects(fakeLog().finishUndo(), /connection lost/);
    const [span] = exporter.getFinishedSpans();
    assert.strictEqual(span.name, "saga-log finishUndo");
    assert.strictEqual(span.status.code, SpanStatusCode.ERROR);
  });

  it("leaves reads and fields alone: no span, same answers", () => {
    const traced = fakeLog();
    assert.strictEqual(traced.get(), "the log's own state");
    assert.strictEqual(traced.pool, "the log's own state");
    assert.deepStrictEqual(exporter.getFinishedSpans(), []);
  });
});
