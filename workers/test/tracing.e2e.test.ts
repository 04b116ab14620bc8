// Traces across the saga: the worker process (main.ts) configured only by the standard OTEL_* variables exports
// to an OTLP/HTTP receiver. A trigger that carries its producer's trace context starts a three-step saga; the
// steps, their service calls and saga-log writes, and the events they publish all land in the producer's trace.
import * as assert from "assert";
import Redis from "ioredis";
import { RedisStreamsBus } from "../src/events/redis-streams-bus";
import { GatewayPeer } from "./support/gateway-peer";
import { freshDatabase } from "./support/harness";
import { startService, TestService } from "./support/http-services";
import { jsonLines, MainProcess, runMain, waitReady } from "./support/main-process";
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from "./support/otlp-receiver";
import { freePort, PostgresServer, RedisServer, startPostgres, startRedis } from "./support/servers";

const SPAN_KIND = { internal: 1, client: 3, consumer: 5 };
const PRODUCER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PRODUCER_SPAN = "00f067aa0ba902b7";
const OTLP_KEY = "otlp-key-marker-91c2";

/** W3C traceparent: version-traceid-parentid-flags. */
function parseTraceparent(v: unknown): { traceId: string; spanId: string; flags: string } | undefined {
  const m = typeof v === "string" ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(v) : null;
  return m ? { traceId: m[1], spanId: m[2], flags: m[3] } : undefined;
}

describe("tracing: one saga, one trace (worker process, OTLP/HTTP receiver)", function () {
  let pg: PostgresServer;
  let redis: RedisServer;
  let peer: GatewayPeer;
  let receiver: OtlpReceiver;
  let run: MainProcess | undefined;
  let port: number;
  const services: TestService[] = [];

  before(async () => {
    [pg, redis, peer, receiver] = await Promise.all([startPostgres(), startRedis(), GatewayPeer.start(), startOtlpReceiver()]);
    for (const name of ["inventory", "payment", "shipping"])
      services.push(await startService(name, (c) => ({ status: 200, body: { done: name, orderId: c.body.orderId } })));
    port = await freePort();
    run = runMain({
      ZEEBE_GRPC_ADDRESS: peer.address,
      DATABASE_URL: await freshDatabase(pg.url, "tracing"),
      REDIS_URL: redis.url,
      ENABLE_EVENT_STREAMING: "true",
      EVENT_BUS: "redis-streams",
      TOPICS_PREFIX: "shop",
      DISCOVERY_STATIC_SERVICES: JSON.stringify(Object.fromEntries(services.map((s) => [s.name, s.url]))),
      PORT: String(port),
      POLL_INTERVAL_MS: "20",
      // What the component sets when a stack gives `otlpEndpoint` (and nothing else: the protocol is the SDK's default).
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${OTLP_KEY}`,
      OTEL_SERVICE_NAME: "checkout-worker",
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
    await waitReady(run, port);
  });
  after(async () => {
    if (run && run.child.exitCode === null) run.child.kill("SIGKILL");
    await peer.stop();
    for (const s of services) await s.stop();
    await receiver.stop();
    await redis.stop();
    await pg.stop();
  });

  it("a trigger, three steps, their calls, saga-log writes and events share the producer's trace, with the expected parentage", async () => {
    // An upstream service publishes the trigger inside its own trace.
    const producer = new RedisStreamsBus({ url: redis.url, clientId: "test-producer" });
    try {
      await producer.publish("shop.triggers", {
        key: "o-1",
        value: { bpmnProcessId: "compensation-saga", variables: { orderId: "o-1", sagaId: "s-1" } },
        headers: { "event-id": "trigger-o-1", traceparent: `00-${PRODUCER_TRACE}-${PRODUCER_SPAN}-01` },
      });
    } finally {
      await producer.close();
    }
    // The bridge starts the process (by CreateProcessInstance, or by the start message of idempotent starts).
    await peer.waitFor(() => peer.processStarts.length + peer.messages.filter((m) => m.name.startsWith("start:")).length > 0, 15000, "process start");
    const started = peer.processStarts[0]?.variables ?? peer.messages.find((m) => m.name.startsWith("start:"))!.variables;
    const startContext = parseTraceparent(started.traceparent);
    assert.ok(startContext, `the started instance carries a traceparent variable: ${JSON.stringify(started)}`);
    assert.strictEqual(startContext.traceId, PRODUCER_TRACE, "the process continues the trigger's trace");

    // Zeebe hands the instance's variables to each job; each completion adds its result.
    const pik = peer.processStarts[0]?.processInstanceKey ?? "2251799813699001";
    let variables: Record<string, unknown> = { ...started };
    const steps = [
      { service: "inventory", elementId: "Task_Inventory" },
      { service: "payment", elementId: "Task_Payment" },
      { service: "shipping", elementId: "Task_Shipping" },
    ];
    const jobKeys: Record<string, string> = {};
    for (const step of steps) {
      const key = peer.addJob({
        type: `call-microservice-${step.service}`,
        bpmnProcessId: "compensation-saga",
        processInstanceKey: pik,
        elementId: step.elementId,
        variables,
        customHeaders: { resultVariable: step.service },
        retries: 3,
      });
      jobKeys[step.elementId] = key;
      await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 10000, step.elementId);
      variables = { ...variables, ...peer.completions.find((c) => c.jobKey === key)!.variables };
    }
    const publishKey = peer.addJob({
      type: "publish-and-wait",
      bpmnProcessId: "compensation-saga",
      processInstanceKey: pik,
      elementId: "Task_PublishSagaCompleted",
      variables,
      customHeaders: { topic: "workflow-events", correlationKey: "sagaId" },
    });
    await peer.waitFor(() => peer.completions.some((c) => c.jobKey === publishKey), 10000, "publish-and-wait");

    const jobSpan = (elementId: string) => receiver.spans.find((s) => s.kind === SPAN_KIND.consumer && s.attributes["camunda.element.id"] === elementId);
    const childrenOf = (span: ReceivedSpan) => receiver.spans.filter((s) => s.parentSpanId === span.spanId);
    await receiver.waitFor(
      () =>
        [...steps.map((s) => s.elementId), "Task_PublishSagaCompleted"].every((el) => jobSpan(el)) &&
        steps.every((s) => childrenOf(jobSpan(s.elementId)!).length >= 3),
      15000,
      "job spans with their children",
    );

    assert.ok(
      receiver.requests.every((r) => r.contentType.startsWith("application/x-protobuf")),
      "the SDK's default OTLP/HTTP encoding is binary protobuf",
    );
    assert.ok(
      receiver.requests.every((r) => r.headers["x-api-key"] === OTLP_KEY),
      "OTEL_EXPORTER_OTLP_HEADERS reach the collector",
    );
    const trace = receiver.spans.filter((s) => s.traceId === PRODUCER_TRACE);
    assert.ok(
      trace.every((s) => s.resource["service.name"] === "checkout-worker"),
      "OTEL_SERVICE_NAME names the service",
    );

    // The bridge's span continues the producer's span; the process variables carry the bridge span's context.
    const consumed = trace.find((s) => s.kind === SPAN_KIND.consumer && s.parentSpanId === PRODUCER_SPAN);
    assert.ok(consumed, `a consumer span under the producer's span: ${trace.map((s) => `${s.name}<-${s.parentSpanId}`).join(", ")}`);
    assert.strictEqual(consumed.attributes["messaging.destination.name"], "shop.triggers");
    assert.strictEqual(startContext.spanId, consumed.spanId);

    for (const step of steps) {
      const job = jobSpan(step.elementId)!;
      assert.strictEqual(job.traceId, PRODUCER_TRACE, `${step.elementId}: same trace`);
      assert.strictEqual(job.parentSpanId, consumed.spanId, `${step.elementId}: child of the span that started the instance`);
      assert.deepStrictEqual(
        { ...job.attributes, "camunda.process_instance.key": String(job.attributes["camunda.process_instance.key"]) },
        {
          "camunda.process.id": "compensation-saga",
          "camunda.process_instance.key": pik,
          "camunda.element.id": step.elementId,
          "camunda.element_instance.key": jobKeys[step.elementId],
          "camunda.job.key": jobKeys[step.elementId],
          "camunda.job.type": `call-microservice-${step.service}`,
          "camunda.job.retries": 3,
          "camunda.job.outcome": "completed",
        },
      );

      const children = childrenOf(job);
      const call = children.filter((s) => s.kind === SPAN_KIND.client && s.name === "POST");
      assert.strictEqual(call.length, 1, `${step.elementId}: one HTTP client span, got ${children.map((s) => s.name).join(", ")}`);
      const svc = services.find((s) => s.name === step.service)!;
      assert.strictEqual(call[0].attributes["http.request.method"], "POST");
      assert.strictEqual(call[0].attributes["url.full"], `${svc.url}/api/process`);
      assert.strictEqual(call[0].attributes["http.response.status_code"], 200);
      assert.deepStrictEqual(
        children
          .filter((s) => s.name.startsWith("saga-log "))
          .map((s) => s.name)
          .sort(),
        ["saga-log begin", "saga-log finish"],
        `${step.elementId}: the saga-log writes are children of the job span`,
      );

      // The service saw the W3C context of the worker's call span.
      const seen = parseTraceparent(svc.callsTo("/api/process")[0].headers.traceparent);
      assert.deepStrictEqual(
        seen && { traceId: seen.traceId, spanId: seen.spanId },
        { traceId: PRODUCER_TRACE, spanId: call[0].spanId },
        `${step.service} got the call span's traceparent`,
      );
      assert.ok(!("traceparent" in svc.callsTo("/api/process")[0].body), "the trace context is not part of the payload");
    }

    // Published events carry the context of the step that wrote them.
    const client = new Redis(redis.url);
    try {
      // Step events reach the bus through the outbox relay: wait for all of them.
      const read = async () =>
        (await client.xrange("shop.workflow-events", "-", "+")).map(([, f]) => ({
          value: JSON.parse(f[f.indexOf("value") + 1]),
          headers: JSON.parse(f[f.indexOf("headers") + 1]),
        }));
      const deadline = Date.now() + 10000;
      let events = await read();
      while (
        events.filter((e) => e.value.type === "step.completed").length < 3 ||
        !events.some((e) => e.headers["element-id"] === "Task_PublishSagaCompleted")
      ) {
        if (Date.now() > deadline) throw new Error(`step events missing: ${JSON.stringify(events.map((e) => e.value.type ?? e.headers["element-id"]))}`);
        await new Promise((r) => setTimeout(r, 50));
        events = await read();
      }
      for (const step of steps) {
        const ofStep = events.filter((e) => e.value.elementId === step.elementId && e.value.type);
        assert.deepStrictEqual(
          ofStep.map((e) => e.value.type),
          ["step.started", "step.completed"],
        );
        for (const e of ofStep) {
          assert.deepStrictEqual(
            parseTraceparent(e.headers.traceparent),
            { traceId: PRODUCER_TRACE, spanId: jobSpan(step.elementId)!.spanId, flags: "01" },
            `${e.value.type} of ${step.elementId}`,
          );
        }
      }
      const published = events.find((e) => e.headers["element-id"] === "Task_PublishSagaCompleted");
      assert.ok(published, "publish-and-wait's event");
      assert.strictEqual(parseTraceparent(published.headers.traceparent)?.spanId, jobSpan("Task_PublishSagaCompleted")!.spanId);
    } finally {
      client.disconnect();
    }
  });

  it("a job whose instance carries no trace context still joins one trace per process instance", async () => {
    const pik = "2251799813700077";
    const keys = ["inventory", "payment"].map((service, i) =>
      peer.addJob({ type: `call-microservice-${service}`, processInstanceKey: pik, elementId: `Plain${i}`, variables: { orderId: "o-plain" } }),
    );
    await peer.waitFor(() => keys.every((k) => peer.completions.some((c) => c.jobKey === k)), 10000, "plain jobs");
    const jobs = () => receiver.spans.filter((s) => s.kind === SPAN_KIND.consumer && String(s.attributes["camunda.process_instance.key"]) === pik);
    await receiver.waitFor(() => jobs().length === 2, 10000, "job spans of the plain instance");
    const [a, b] = jobs();
    assert.strictEqual(a.traceId, b.traceId, "both steps of the instance are in one trace");
    assert.notStrictEqual(a.traceId, PRODUCER_TRACE);
    assert.strictEqual(a.parentSpanId, b.parentSpanId, "under one (virtual) instance parent");
  });

  it("export problems are logged without the OTLP headers' values", async () => {
    receiver.status = 401;
    try {
      const key = peer.addJob({ type: "call-microservice-inventory", elementId: "Unexported", variables: { orderId: "o-401" } });
      await peer.waitFor(() => peer.completions.some((c) => c.jobKey === key), 10000, "job");
      const exportRefused = (l: Record<string, any>) => l.level >= 40 && /tracing/.test(String(l.msg)) && /Unauthorized \(code 401\)/.test(String(l.detail));
      const deadline = Date.now() + 10000;
      while (!jsonLines(run!).some(exportRefused) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(jsonLines(run!).some(exportRefused), `a warning about the refused export:\n${run!.output()}`);
      assert.ok(!run!.output().includes(OTLP_KEY), run!.output());
    } finally {
      receiver.status = 200;
    }
  });
});
