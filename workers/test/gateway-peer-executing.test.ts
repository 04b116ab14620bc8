// The gateway peer's executing mode, driven by the real @camunda8/sdk client: each test checks one
// Zeebe behaviour the end-to-end saga tests rely on (see test/support/README.md for what differs).
import * as assert from "assert";
import { Camunda8 } from "@camunda8/sdk";
import { GatewayPeer } from "./support/gateway-peer";

type Zeebe = ReturnType<Camunda8["getZeebeGrpcApiClient"]>;
type Handler = Parameters<Zeebe["createWorker"]>[0]["taskHandler"];

const NS =
  'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const model = (id: string, body: string, extra = "") =>
  Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions ${NS} id="Defs_${id}" targetNamespace="t">${extra}<bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process></bpmn:definitions>`,
  );
const task = (id: string, type: string, headers: Record<string, string> = {}, retries = 3) =>
  `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" retries="${retries}"/><zeebe:taskHeaders>${Object.entries(headers)
    .map(([k, v]) => `<zeebe:header key="${k}" value="${v}"/>`)
    .join("")}</zeebe:taskHeaders></bpmn:extensionElements></bpmn:serviceTask>`;
const flow = (from: string, to: string) => `<bpmn:sequenceFlow id="F_${from}_${to}" sourceRef="${from}" targetRef="${to}"/>`;
const seq = (...ids: string[]) =>
  ids
    .slice(1)
    .map((id, i) => flow(ids[i], id))
    .join("");
const start = (id = "S") => `<bpmn:startEvent id="${id}"/>`;
const end = (id = "E") => `<bpmn:endEvent id="${id}"/>`;
const message = (id: string, name: string, key: string) =>
  `<bpmn:message id="${id}" name="${name}"><bpmn:extensionElements><zeebe:subscription correlationKey="${key}"/></bpmn:extensionElements></bpmn:message>`;

const compensable = (step: string) =>
  `${task(step, `do-${step}`)}<bpmn:boundaryEvent id="C_${step}" attachedToRef="${step}"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>` +
  `<bpmn:serviceTask id="Undo_${step}" isForCompensation="true"><bpmn:extensionElements><zeebe:taskDefinition type="undo-${step}"/></bpmn:extensionElements></bpmn:serviceTask>`;
const compensationArtifacts = (...steps: string[]) =>
  steps.map((s) => `<bpmn:association id="A_${s}" associationDirection="One" sourceRef="C_${s}" targetRef="Undo_${s}"/>`).join("");

describe("gateway peer, executing mode (real SDK client, BPMN engine)", function () {
  let peer: GatewayPeer;
  let c8: Camunda8;
  let zb: Zeebe;
  const workers: { close(): Promise<unknown> }[] = [];
  const work = (taskType: string, taskHandler: Handler, extra: Record<string, unknown> = {}) =>
    workers.push(zb.createWorker({ taskType, taskHandler, pollInterval: 20, loglevel: "NONE", timeout: 30000, ...extra }));

  beforeEach(async () => {
    peer = await GatewayPeer.start({ execute: true });
    c8 = new Camunda8({
      ZEEBE_GRPC_ADDRESS: peer.address,
      CAMUNDA_AUTH_STRATEGY: "NONE",
      CAMUNDA_LOG_LEVEL: "none",
      zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: "NONE" },
    } as never);
    zb = c8.getZeebeGrpcApiClient();
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.close();
    await zb.close();
    await peer.stop();
  });

  it("deploys versions like Zeebe: unchanged content keeps its version, a change makes the next; a bad model is refused", async () => {
    const v1 = model("p", seq("S", "T", "E") + start() + task("T", "t") + end());
    const a = await zb.deployResource({ name: "p.bpmn", process: v1 });
    const b = await zb.deployResource({ name: "p.bpmn", process: v1 });
    const c = await zb.deployResource({ name: "p.bpmn", process: model("p", seq("S", "E") + start() + end()) });
    const meta = (r: typeof a) => (r.deployments[0] as { process: { version: number; processDefinitionKey: string } }).process;
    assert.deepStrictEqual([meta(a).version, meta(b).version, meta(c).version], [1, 1, 2]);
    assert.strictEqual(meta(a).processDefinitionKey, meta(b).processDefinitionKey);
    assert.notStrictEqual(meta(a).processDefinitionKey, meta(c).processDefinitionKey);
    await assert.rejects(zb.deployResource({ name: "x.bpmn", process: Buffer.from("<not-bpmn") }), /INVALID_ARGUMENT|not a valid BPMN/);
    const mapped = model(
      "m",
      start() +
        `<bpmn:serviceTask id="T"><bpmn:extensionElements><zeebe:taskDefinition type="t"/><zeebe:ioMapping><zeebe:input source="=a" target="b"/></zeebe:ioMapping></bpmn:extensionElements></bpmn:serviceTask>` +
        seq("S", "T"),
    );
    await assert.rejects(zb.deployResource({ name: "m.bpmn", process: mapped }), /does not emulate zeebe:ioMapping/);
  });

  it("hands out a job with its type, headers, retries and variables; completion merges variables and the instance completes", async () => {
    await zb.deployResource({
      name: "p.bpmn",
      process: model("p", start() + task("A", "a", { path: "/x" }, 5) + task("B", "b") + end() + seq("S", "A", "B", "E")),
    });
    const seen: Record<string, unknown>[] = [];
    work("a", async (job) => {
      seen.push({
        headers: { ...job.customHeaders },
        retries: job.retries,
        vars: { ...job.variables },
        element: job.elementId,
        version: job.processDefinitionVersion,
      });
      return job.complete({ fromA: 1, order: { id: "o-1", total: 3 } });
    });
    work("b", async (job) => job.complete({ sawA: (job.variables as Record<string, number>).fromA }));
    const res = await zb.createProcessInstanceWithResult({ bpmnProcessId: "p", variables: { orderId: "o-1" }, requestTimeout: 10000 });
    assert.deepStrictEqual(seen, [{ headers: { path: "/x" }, retries: 5, vars: { orderId: "o-1" }, element: "A", version: 1 }]);
    assert.deepStrictEqual(res.variables, { orderId: "o-1", fromA: 1, order: { id: "o-1", total: 3 }, sawA: 1 });
    const i = peer.instance(res.processInstanceKey);
    assert.strictEqual(i.state, "COMPLETED");
    assert.deepStrictEqual(i.endEvents, ["E"]);
  });

  it("FailJob with retries left redelivers after the back-off; at zero retries an incident holds the instance", async () => {
    await zb.deployResource({ name: "p.bpmn", process: model("p", start() + task("A", "a", {}, 3) + end() + seq("S", "A", "E")) });
    const deliveries: { retries: number; at: number }[] = [];
    work("a", async (job) => {
      deliveries.push({ retries: job.retries, at: Date.now() });
      return job.fail({ errorMessage: "boom", retries: job.retries - 1, retryBackOff: 300 });
    });
    const pi = await zb.createProcessInstance({ bpmnProcessId: "p", variables: {} });
    await peer.waitFor(() => peer.instance(pi.processInstanceKey).incidents.length === 1, 10000, "incident");
    assert.deepStrictEqual(
      deliveries.map((d) => d.retries),
      [3, 2, 1],
    );
    assert.ok(deliveries[1].at - deliveries[0].at >= 280, `back-off honoured (${deliveries[1].at - deliveries[0].at} ms)`);
    const i = peer.instance(pi.processInstanceKey);
    assert.strictEqual(i.state, "ACTIVE");
    assert.deepStrictEqual(i.activeElements(), ["A"]);
    assert.match(i.incidents[0].message, /boom/);
  });

  it("ThrowError is caught by a matching error boundary; an uncaught error code is an incident", async () => {
    const body =
      start() +
      task("A", "a") +
      end("Ok") +
      end("Rejected") +
      seq("S", "A", "Ok") +
      `<bpmn:boundaryEvent id="B" attachedToRef="A"><bpmn:errorEventDefinition errorRef="Err"/></bpmn:boundaryEvent>` +
      flow("B", "Rejected");
    await zb.deployResource({ name: "p.bpmn", process: model("p", body, `<bpmn:error id="Err" errorCode="REJECTED"/>`) });
    work("a", async (job) =>
      job.error({ errorCode: String((job.variables as Record<string, string>).code), errorMessage: "no", variables: { why: "declined" } }),
    );
    const caught = await zb.createProcessInstance({ bpmnProcessId: "p", variables: { code: "REJECTED" } });
    const i = await peer.waitForEnd(caught.processInstanceKey);
    assert.deepStrictEqual(i.endEvents, ["Rejected"]);
    assert.strictEqual(i.variables.why, "declined");
    const uncaught = await zb.createProcessInstance({ bpmnProcessId: "p", variables: { code: "OTHER" } });
    await peer.waitFor(() => peer.instance(uncaught.processInstanceKey).incidents.length === 1, 10000, "incident");
    assert.match(peer.instance(uncaught.processInstanceKey).incidents[0].message, /'OTHER'.*not caught/);
    assert.strictEqual(peer.instance(uncaught.processInstanceKey).state, "ACTIVE");
  });

  it("correlates messages by name and correlation key, buffers them for their TTL, refuses a duplicate messageId", async () => {
    const body = start() + `<bpmn:receiveTask id="Wait" messageRef="M"/>` + end() + seq("S", "Wait", "E");
    await zb.deployResource({ name: "p.bpmn", process: model("p", body, message("M", "go", "=orderId")) });
    const a = await zb.createProcessInstance({ bpmnProcessId: "p", variables: { orderId: "a" } });
    const b = await zb.createProcessInstance({ bpmnProcessId: "p", variables: { orderId: "b" } });
    await peer.waitFor(() => peer.instance(a.processInstanceKey).subscriptions.size === 1, 5000, "subscription");
    await zb.publishMessage({ name: "go", correlationKey: "a", timeToLive: 0, variables: { answer: 42 } });
    const ia = await peer.waitForEnd(a.processInstanceKey);
    assert.strictEqual(ia.variables.answer, 42);
    assert.strictEqual(peer.instance(b.processInstanceKey).state, "ACTIVE", "other correlation key untouched");

    // Not buffered without a TTL: lost when nobody waits.
    await zb.publishMessage({ name: "go", correlationKey: "c", timeToLive: 0, variables: {} });
    const c = await zb.createProcessInstance({ bpmnProcessId: "p", variables: { orderId: "c" } });
    // Buffered with a TTL: correlates when the instance arrives.
    await zb.publishMessage({ name: "go", correlationKey: "d", timeToLive: 10000, messageId: "m-d", variables: {} });
    await assert.rejects(
      zb.publishMessage({ name: "go", correlationKey: "d", timeToLive: 10000, messageId: "m-d", variables: {} }),
      (e: { code?: number }) => e.code === 6,
    );
    const d = await zb.createProcessInstance({ bpmnProcessId: "p", variables: { orderId: "d" } });
    await peer.waitForEnd(d.processInstanceKey);
    await new Promise((r) => setTimeout(r, 200));
    assert.strictEqual(peer.instance(c.processInstanceKey).state, "ACTIVE");
  });

  it("a message start event starts one instance per messageId while the message is buffered", async () => {
    const body =
      start("None") +
      `<bpmn:startEvent id="ByMessage"><bpmn:messageEventDefinition messageRef="Start"/></bpmn:startEvent>` +
      task("A", "a") +
      end() +
      seq("None", "A", "E") +
      flow("ByMessage", "A");
    await zb.deployResource({ name: "p.bpmn", process: model("p", body, `<bpmn:message id="Start" name="start:p"/>`) });
    work("a", async (job) => job.complete({}));
    await zb.publishMessage({ name: "start:p", correlationKey: "", timeToLive: 60000, messageId: "evt-1", variables: { orderId: "o-7" } });
    await assert.rejects(
      zb.publishMessage({ name: "start:p", correlationKey: "", timeToLive: 60000, messageId: "evt-1", variables: { orderId: "o-7" } }),
      (e: { code?: number }) => e.code === 6,
    );
    await peer.waitFor(() => peer.instancesOf("p").length === 1 && peer.instancesOf("p")[0].state === "COMPLETED", 10000, "instance by message");
    const [i] = peer.instancesOf("p");
    assert.strictEqual(i.variables.orderId, "o-7");
    assert.deepStrictEqual(
      i.elements.filter((e) => e.type === "bpmn:StartEvent" && e.event === "completed").map((e) => e.elementId),
      ["ByMessage"],
    );
    // The none start still works on its own, without the message start waiting.
    const none = await zb.createProcessInstanceWithResult({ bpmnProcessId: "p", variables: {}, requestTimeout: 10000 });
    assert.deepStrictEqual(
      peer
        .instance(none.processInstanceKey)
        .elements.filter((e) => e.type === "bpmn:StartEvent")
        .map((e) => e.elementId),
      ["None", "None"],
    );
  });

  it("an interrupting timer boundary ends the task (its job is gone: a late completion gets NOT_FOUND)", async () => {
    const body =
      start() +
      task("Slow", "slow") +
      end("Done") +
      end("TimedOut") +
      seq("S", "Slow", "Done") +
      `<bpmn:boundaryEvent id="Timeout" attachedToRef="Slow"><bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">=if stepTimeout = null then "PT30S" else stepTimeout</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>` +
      flow("Timeout", "TimedOut");
    await zb.deployResource({ name: "p.bpmn", process: model("p", body) });
    let late: unknown;
    work("slow", async (job) => {
      await new Promise((r) => setTimeout(r, 800));
      try {
        return await job.complete({});
      } catch (err) {
        late = err;
        throw err;
      }
    });
    const pi = await zb.createProcessInstance({ bpmnProcessId: "p", variables: { stepTimeout: "PT0.3S" } });
    const i = await peer.waitForEnd(pi.processInstanceKey);
    assert.deepStrictEqual(i.endEvents, ["TimedOut"]);
    assert.ok(i.elements.some((e) => e.elementId === "Slow" && e.event === "terminated"));
    await peer.waitFor(() => late !== undefined, 5000, "late completion refused");
    assert.strictEqual((late as { code?: number }).code, 5);
  });

  it("compensation: only completed activities, all handlers at once, the throw event waits for every handler; activityRef names one", async () => {
    const body =
      start() +
      compensable("A") +
      compensable("B") +
      task("C", "do-C") +
      end("Ok") +
      `<bpmn:boundaryEvent id="Fail" attachedToRef="C"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>` +
      `<bpmn:intermediateThrowEvent id="UndoAll"><bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>` +
      `<bpmn:endEvent id="Compensated"/>` +
      seq("S", "A", "B", "C", "Ok") +
      seq("Fail", "UndoAll", "Compensated");
    await zb.deployResource({ name: "p.bpmn", process: model("p", body + compensationArtifacts("A", "B")) });
    for (const s of ["A", "B"]) work(`do-${s}`, async (job) => job.complete({}));
    work("do-C", async (job) => job.error({ errorCode: "X", errorMessage: "no", variables: {} }));
    // Hold the handlers until both are activated: Zeebe starts them together.
    const undoing: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    for (const s of ["A", "B"]) {
      work(`undo-${s}`, async (job) => {
        undoing.push(job.elementId);
        if (undoing.length === 2) release();
        await gate;
        return job.complete({ [`undone${s}`]: true });
      });
    }
    const pi = await zb.createProcessInstance({ bpmnProcessId: "p", variables: {} });
    await peer.waitFor(() => undoing.length === 2, 10000, "both handlers active at once");
    const i = await peer.waitForEnd(pi.processInstanceKey);
    assert.deepStrictEqual(undoing.sort(), ["Undo_A", "Undo_B"]);
    const throwDone = i.elements.find((e) => e.elementId === "UndoAll" && e.event === "completed")!.at;
    assert.ok(
      i.compensations.every((c) => c.completed! <= throwDone),
      "the throw completed after all handlers",
    );
    assert.deepStrictEqual(i.endEvents, ["Compensated"]);

    // activityRef: only the named activity's handler runs; a second throw finds nothing left.
    const refBody =
      start() +
      compensable("A") +
      compensable("B") +
      `<bpmn:intermediateThrowEvent id="UndoB"><bpmn:compensateEventDefinition activityRef="B"/></bpmn:intermediateThrowEvent>` +
      `<bpmn:intermediateThrowEvent id="UndoB2"><bpmn:compensateEventDefinition activityRef="B"/></bpmn:intermediateThrowEvent>` +
      end() +
      seq("S", "A", "B", "UndoB", "UndoB2", "E");
    await zb.deployResource({ name: "r.bpmn", process: model("r", refBody + compensationArtifacts("A", "B")) });
    const r = await zb.createProcessInstanceWithResult({ bpmnProcessId: "r", variables: {}, requestTimeout: 10000 });
    assert.deepStrictEqual(
      peer.instance(r.processInstanceKey).compensations.map((c) => c.compensates),
      ["B"],
    );
  });

  it("cancels an instance: its jobs are gone", async () => {
    await zb.deployResource({ name: "p.bpmn", process: model("p", start() + task("A", "a") + end() + seq("S", "A", "E")) });
    const pi = await zb.createProcessInstance({ bpmnProcessId: "p", variables: {} });
    await zb.cancelProcessInstance(pi.processInstanceKey);
    assert.strictEqual(peer.instance(pi.processInstanceKey).state, "CANCELED");
    assert.strictEqual(peer.pending("a"), 0);
    await assert.rejects(zb.cancelProcessInstance(pi.processInstanceKey), (e: { code?: number }) => e.code === 5);
  });

  it("migrates a waiting instance to a new version: the job is kept, the instance continues on the new model", async () => {
    await zb.deployResource({ name: "p.bpmn", process: model("p", start() + task("A", "a") + end() + seq("S", "A", "E")) });
    const v2 = await zb.deployResource({
      name: "p.bpmn",
      process: model("p", start() + task("A", "a") + task("B", "b") + end("E2") + seq("S", "A", "B", "E2")),
    });
    const v2key = (v2.deployments[0] as { process: { processDefinitionKey: string } }).process.processDefinitionKey;
    const pi = await zb.createProcessInstance({ bpmnProcessId: "p", version: 1, variables: {} });
    await peer.waitFor(() => peer.pending("a") === 1, 5000, "job of A");
    await assert.rejects(
      zb.migrateProcessInstance({
        processInstanceKey: pi.processInstanceKey,
        migrationPlan: { targetProcessDefinitionKey: v2key, mappingInstructions: [{ sourceElementId: "A", targetElementId: "E2" }] },
      }),
      /Elements must be mapped to elements of the same type/,
    );
    await assert.rejects(
      zb.migrateProcessInstance({ processInstanceKey: pi.processInstanceKey, migrationPlan: { targetProcessDefinitionKey: v2key, mappingInstructions: [] } }),
      /no mapping instruction defined for active element with id 'A'/,
    );
    await zb.migrateProcessInstance({
      processInstanceKey: pi.processInstanceKey,
      migrationPlan: { targetProcessDefinitionKey: v2key, mappingInstructions: [{ sourceElementId: "A", targetElementId: "A" }] },
    });
    const jobKeys: string[] = [];
    work("a", async (job) => (jobKeys.push(job.key), job.complete({})));
    work("b", async (job) => job.complete({ v: job.processDefinitionVersion }));
    const i = await peer.waitForEnd(pi.processInstanceKey);
    assert.strictEqual(i.definition.version, 2);
    assert.deepStrictEqual(i.endEvents, ["E2"]);
    assert.strictEqual(i.variables.v, 2);
    assert.strictEqual(jobKeys.length, 1);
  });

  it("pushes jobs to a job stream (StreamActivatedJobs)", async () => {
    await zb.deployResource({ name: "p.bpmn", process: model("p", start() + task("A", "a") + end() + seq("S", "A", "E")) });
    const got: string[] = [];
    const stream = zb.streamJobs({
      type: "a",
      worker: "w",
      timeout: 30000,
      taskHandler: async (job: { elementId: string; complete(v: object): Promise<unknown> }) => (got.push(job.elementId), job.complete({ streamed: true })),
    } as never);
    workers.push({ close: async () => (stream as unknown as { close?: () => unknown })?.close?.() });
    await new Promise((r) => setTimeout(r, 300));
    const res = await zb.createProcessInstanceWithResult({ bpmnProcessId: "p", variables: {}, requestTimeout: 10000 });
    assert.deepStrictEqual(got, ["A"]);
    assert.strictEqual(res.variables.streamed, true);
  });
});
