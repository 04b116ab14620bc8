import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { processesStartedByMessage } from "../src/events/message-start";
import { startMessageName } from "../src/events/start-message";

// bpmnlint and bpmn-moddle ship no declarations that "moduleResolution: node" can see; type the few members used.

type El = { $type: string; id: string; [key: string]: any };
interface Report {
  id?: string;
  message: string;
  category: string;
}
const { Linter } = require("bpmnlint") as {
  Linter: new (opts: { config: object; resolver: object }) => { lint(root: El): Promise<Record<string, Report[]>> };
};
const NodeResolver = require("bpmnlint/lib/resolver/node-resolver") as new () => object;
const { BpmnModdle } = require("bpmn-moddle") as {
  BpmnModdle: new (ext: object) => { fromXML(xml: string): Promise<{ rootElement: El; warnings: Error[] }> };
};
const zeebeSchema = require("zeebe-bpmn-moddle/resources/zeebe.json") as object;

const WORKFLOWS = join(__dirname, "..", "workflows");
const EXAMPLES = join(WORKFLOWS, "examples");
const LINT_CONFIG = { extends: ["bpmnlint:recommended", "plugin:camunda-compat/camunda-cloud-8-8"] };

async function parse(xml: string): Promise<El> {
  const { rootElement, warnings } = await new BpmnModdle({ zeebe: zeebeSchema }).fromXML(xml);
  assert.deepEqual(
    warnings.map((w) => w.message),
    [],
    "import warnings",
  );
  return rootElement;
}

async function lint(definitions: El): Promise<Report[]> {
  const results = await new Linter({ config: LINT_CONFIG, resolver: new NodeResolver() }).lint(definitions);
  return Object.entries(results).flatMap(([rule, reports]) => reports.map((r) => ({ ...r, message: `${rule}: ${r.message}` })));
}

const processOf = (definitions: El): El => definitions.rootElements.find((e: El) => e.$type === "bpmn:Process");
const elements = (definitions: El): El[] => processOf(definitions).flowElements ?? [];
const taskType = (el: El): string | undefined => el.extensionElements?.values?.find((v: El) => v.$type === "zeebe:TaskDefinition")?.type;
const eventDefinition = (el: El): El | undefined => el.eventDefinitions?.[0];

/** Problems in how the saga wires compensation; empty when every rule holds. */
function compensationProblems(definitions: El): string[] {
  const problems: string[] = [];
  const all = elements(definitions);
  const associations: El[] = (processOf(definitions).artifacts ?? []).filter((a: El) => a.$type === "bpmn:Association");
  const steps = all.filter((e) => /^call-microservice-/.test(taskType(e) ?? ""));
  for (const step of steps) {
    const svc = taskType(step)!.slice("call-microservice-".length);
    const boundary = all.find(
      (e) => e.$type === "bpmn:BoundaryEvent" && e.attachedToRef === step && eventDefinition(e)?.$type === "bpmn:CompensateEventDefinition",
    );
    if (!boundary) {
      problems.push(`${step.id}: no compensation boundary`);
      continue;
    }
    const handler = associations.find((a) => a.sourceRef === boundary)?.targetRef as El | undefined;
    if (!handler) {
      problems.push(`${boundary.id}: no association to a handler`);
      continue;
    }
    if (handler.isForCompensation !== true) problems.push(`${handler.id}: not isForCompensation`);
    if (taskType(handler) !== `compensate-${svc}`) problems.push(`${handler.id}: type ${taskType(handler)} does not compensate ${svc}`);
  }
  return problems;
}

/** The steps (call-microservice tasks with a compensation handler) in the order the happy path runs them. */
function stepsInOrder(definitions: El): El[] {
  const all = elements(definitions);
  const start = all.find((e) => e.$type === "bpmn:StartEvent" && !e.eventDefinitions?.length)!;
  const order: El[] = [];
  for (let el: El | undefined = start; el; el = el.outgoing?.[0]?.targetRef) {
    if (order.includes(el)) break;
    order.push(el);
  }
  const compensable = new Set(
    all.filter((e) => e.$type === "bpmn:BoundaryEvent" && eventDefinition(e)?.$type === "bpmn:CompensateEventDefinition").map((b) => b.attachedToRef),
  );
  return order.filter((e) => compensable.has(e));
}

/** The activityRefs of the compensation throw events after the "Roll back" gateway, in flow order. */
function undoChain(definitions: El): { refs: string[]; last: El } {
  const gateway = elements(definitions).find(
    (e) =>
      e.$type === "bpmn:ExclusiveGateway" &&
      e.outgoing?.length === 1 &&
      e.incoming?.length > 1 &&
      eventDefinition(e.outgoing[0].targetRef)?.$type === "bpmn:CompensateEventDefinition",
  )!;
  const refs: string[] = [];
  let el: El = gateway.outgoing[0].targetRef;
  for (;;) {
    const def = eventDefinition(el);
    assert.equal(def?.$type, "bpmn:CompensateEventDefinition", `${el.id} is a compensation throw event`);
    assert.ok(def!.activityRef, `${el.id} names the activity it undoes (activityRef)`);
    refs.push(def!.activityRef.id);
    if (!el.outgoing?.length) return { refs, last: el };
    el = el.outgoing[0].targetRef;
  }
}

/** Ids of elements reachable from `from` along sequence flows. */
function reachable(from: El): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length) {
    const el = todo.pop()!;
    if (seen.has(el.id)) continue;
    seen.add(el.id);
    for (const flow of el.outgoing ?? []) todo.push(flow.targetRef);
  }
  return seen;
}

function assertDiagramComplete(definitions: El): void {
  const plane = definitions.diagrams[0].plane;
  const drawn = new Map<string, El>(plane.planeElement.map((d: El) => [d.bpmnElement.id, d]));
  const artifacts: El[] = processOf(definitions).artifacts ?? [];
  for (const el of [...elements(definitions), ...artifacts]) {
    const di = drawn.get(el.id);
    assert.ok(di, `${el.id} has no diagram element`);
    if (di.$type === "bpmndi:BPMNShape") assert.ok(di.bounds.width > 0 && di.bounds.height > 0, `${el.id} bounds`);
    else assert.ok(di.waypoint.length >= 2, `${el.id} needs at least two waypoints`);
  }
  // No shape or label drawn over another (a boundary event sits on its own activity's border).
  type Box = { of: El; what: string; x: number; y: number; width: number; height: number };
  const boxes: Box[] = plane.planeElement
    .filter((d: El) => d.$type === "bpmndi:BPMNShape")
    .flatMap((d: El) => [
      { of: d.bpmnElement, what: d.bpmnElement.id, ...d.bounds },
      ...(d.label?.bounds ? [{ of: d.bpmnElement, what: `${d.bpmnElement.id} label`, ...d.label.bounds }] : []),
    ]);
  const related = (a: El, b: El) => a === b || a.attachedToRef === b || b.attachedToRef === a;
  const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  const overlaps = boxes.flatMap((a, i) =>
    boxes
      .slice(i + 1)
      .filter((b) => !related(a.of, b.of) && overlap(a, b))
      .map((b) => `${a.what} / ${b.what}`),
  );
  assert.deepEqual(overlaps, [], "shapes drawn over each other");
}

describe("BPMN templates", () => {
  const files = [
    ...readdirSync(WORKFLOWS)
      .filter((f) => f.endsWith(".bpmn"))
      .map((f) => join(WORKFLOWS, f)),
    ...readdirSync(EXAMPLES)
      .filter((f) => f.endsWith(".bpmn"))
      .map((f) => join(EXAMPLES, f)),
  ];

  it("ships the two templates and the three seed examples", () => {
    assert.deepEqual(files.map((f) => f.slice(WORKFLOWS.length + 1)).sort(), [
      "compensation-saga.bpmn",
      "examples/ecommerce-order.bpmn",
      "examples/financial-transaction.bpmn",
      "examples/healthcare-patient-journey.bpmn",
      "parallel-orchestration.bpmn",
    ]);
  });

  for (const file of files) {
    it(`${file.slice(WORKFLOWS.length + 1)} lints with zero errors for Camunda 8.8, is fully drawn and can be started idempotently by the bridge (message start:<id> beside the none start)`, async () => {
      const xml = readFileSync(file, "utf8");
      const definitions = await parse(xml);
      const reports = await lint(definitions);
      const errors = reports.filter((r) => r.category === "error" || r.category === "rule-error");
      assert.deepEqual(
        errors.map((e) => `${e.id} ${e.message}`),
        [],
      );
      // Warnings do not fail the build, but the templates are expected to have none either.
      assert.deepEqual(
        reports.map((r) => `${r.category} ${r.id} ${r.message}`),
        [],
      );
      assert.equal(definitions.$attrs["modeler:executionPlatform"], "Camunda Cloud");
      assert.equal(definitions.$attrs["modeler:executionPlatformVersion"], "8.8.0");
      assert.equal(processOf(definitions).isExecutable, true);
      assertDiagramComplete(definitions);
      for (const el of elements(definitions).filter((e) => taskType(e) !== undefined)) {
        assert.match(taskType(el)!, /^(call-microservice-[a-z0-9-]+|compensate-[a-z0-9-]+|publish-and-wait)$/, el.id);
      }
      // TEAM convention 3: a trigger event starts the process idempotently through message start:<bpmnProcessId>,
      // beside the none start event, and the bridge finds it in the model it deploys.
      const id = processOf(definitions).id;
      const starts = elements(definitions).filter((e) => e.$type === "bpmn:StartEvent");
      assert.deepEqual(starts.map((s) => eventDefinition(s)?.$type ?? "none").sort(), ["bpmn:MessageEventDefinition", "none"]);
      const byMessage = starts.find((s) => eventDefinition(s))!;
      assert.equal(eventDefinition(byMessage)!.messageRef.name, startMessageName(id));
      // Both starts lead into the same path: the first element after the start is reached from either.
      const next = (s: El) => [...reachable(s)].filter((x) => x !== s.id);
      assert.deepEqual(next(byMessage), next(starts.find((s) => s !== byMessage)!));
      assert.deepEqual([...processesStartedByMessage([{ content: xml }])], [id]);
      if (stepsInOrder(definitions).length > 0) {
        // TEAM convention 4: undo in reverse order of the steps, one compensation throw per step.
        const { refs, last } = undoChain(definitions);
        assert.deepEqual(
          refs,
          stepsInOrder(definitions)
            .map((s) => s.id)
            .reverse(),
        );
        assert.equal(last.$type, "bpmn:EndEvent");
      }
    });
  }

  it("parallel-orchestration splits into call-microservice tasks and joins all of them", async () => {
    const definitions = await parse(readFileSync(join(WORKFLOWS, "parallel-orchestration.bpmn"), "utf8"));
    const gateways = elements(definitions).filter((e) => e.$type === "bpmn:ParallelGateway");
    const split = gateways.find((g) => g.outgoing.length > 1);
    const joinGateway = gateways.find((g) => g.incoming.length > 1);
    assert.ok(split && joinGateway, "split and join gateways");
    const branches: El[] = split.outgoing.map((f: El) => f.targetRef);
    assert.deepEqual(branches.map((t) => taskType(t)).sort(), ["call-microservice-inventory", "call-microservice-payment", "call-microservice-shipping"]);
    for (const task of branches) assert.equal(task.outgoing[0].targetRef, joinGateway, `${task.id} leads to the join`);
    assert.equal(joinGateway.incoming.length, branches.length);
    // A branch that can leave early (boundary event) would deadlock the join.
    assert.equal(elements(definitions).filter((e) => e.$type === "bpmn:BoundaryEvent").length, 0);
    for (const task of branches) {
      const headers = task.extensionElements.values.find((v: El) => v.$type === "zeebe:TaskHeaders").values;
      assert.deepEqual(headers.map((h: El) => h.key).sort(), ["path", "resultVariable", "timeoutMs"]);
    }
  });

  it("compensation-saga links every step to its compensate-<svc> handler and routes rejection, request and timeout to compensation", async () => {
    const definitions = await parse(readFileSync(join(WORKFLOWS, "compensation-saga.bpmn"), "utf8"));
    assert.deepEqual(compensationProblems(definitions), []);
    const all = elements(definitions);
    const compensationEnd = all.find((e) => e.$type === "bpmn:EndEvent" && eventDefinition(e)?.$type === "bpmn:CompensateEventDefinition");
    assert.ok(compensationEnd, "compensation end event");

    const boundaries = all.filter((e) => e.$type === "bpmn:BoundaryEvent" && e.outgoing?.length);
    const errorBoundaries = boundaries.filter((b) => eventDefinition(b)!.$type === "bpmn:ErrorEventDefinition");
    assert.deepEqual(errorBoundaries.map((b) => taskType(b.attachedToRef)).sort(), [
      "call-microservice-inventory",
      "call-microservice-payment",
      "call-microservice-shipping",
    ]);
    for (const b of errorBoundaries) assert.equal(eventDefinition(b)!.errorRef.errorCode, "BUSINESS_REJECTION");

    const timers = boundaries.filter((b) => eventDefinition(b)!.$type === "bpmn:TimerEventDefinition");
    assert.deepEqual(timers.map((t) => t.attachedToRef.id).sort(), ["Task_AwaitConfirmation", "Task_Inventory", "Task_Payment", "Task_Shipping"]);
    for (const t of timers) {
      const [variable, fallback] = t.attachedToRef.id === "Task_AwaitConfirmation" ? ["sagaTimeout", "PT5M"] : ["stepTimeout", "PT1M"];
      assert.equal(eventDefinition(t)!.timeDuration.body, `=if ${variable} = null then "${fallback}" else ${variable}`);
    }
    assert.deepEqual(undoChain(definitions).refs, ["Task_Shipping", "Task_Payment", "Task_Inventory"]);
    const request = boundaries.find((b) => eventDefinition(b)!.$type === "bpmn:MessageEventDefinition");
    assert.equal(eventDefinition(request!)!.messageRef.name, "saga-compensation-requested");
    for (const b of boundaries) assert.ok(reachable(b).has(compensationEnd.id), `${b.id} reaches compensation`);

    const publish = all.find((e) => taskType(e) === "publish-and-wait")!;
    const waiting = publish.outgoing[0].targetRef;
    assert.equal(waiting.$type, "bpmn:ReceiveTask");
    assert.equal(waiting.messageRef.name, "saga-confirmed");
  });

  it("finds message start processes only where the message is start:<that process's id>", () => {
    const model = (processId: string, messageName: string, selfClosingNoneStart = false) =>
      `<bpmn2:definitions xmlns:bpmn2="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn2:message id="M" name="${messageName}"/>` +
      `<bpmn2:process id="${processId}">${selfClosingNoneStart ? '<bpmn2:startEvent id="none"/>' : ""}` +
      `<bpmn2:startEvent id="s"><bpmn2:messageEventDefinition messageRef="M"/></bpmn2:startEvent></bpmn2:process></bpmn2:definitions>`;
    assert.deepEqual([...processesStartedByMessage([{ content: model("p", "start:p", true) }])], ["p"]);
    assert.deepEqual([...processesStartedByMessage([{ content: model("p", "start:other") }])], []);
    assert.deepEqual([...processesStartedByMessage([{ content: model("p", "order-placed") }])], []);
  });

  it("reports a service task without a task definition as a lint error", async () => {
    const xml = readFileSync(join(WORKFLOWS, "parallel-orchestration.bpmn"), "utf8").replace(
      '<zeebe:taskDefinition type="call-microservice-payment" retries="3" />',
      "",
    );
    const errors = (await lint(await parse(xml))).filter((r) => r.category === "error");
    assert.deepEqual(
      errors.map((e) => e.id),
      ["Task_Payment"],
    );
    assert.match(errors[0]!.message, /TaskDefinition/);
  });

  it("flags a compensation handler whose type compensates another service", async () => {
    const xml = readFileSync(join(WORKFLOWS, "compensation-saga.bpmn"), "utf8").replace('type="compensate-payment"', 'type="compensate-inventory"');
    assert.deepEqual(compensationProblems(await parse(xml)), ["Task_CompensatePayment: type compensate-inventory does not compensate payment"]);
  });
});
