import assert from "assert";
import { orchestratorCompleteness } from "../policies/orchestrator-completeness";
import { resource, violations } from "./support";

const ORCH = "camunda-orchestrator:index:CamundaOrchestrator";
const orchestrator = (name: string, eventBus: string, monitoring: boolean) =>
  resource(ORCH, name, { name, topicsPrefix: name, eventBus, monitoring, environment: {} });
/** The orchestrator's parts, nested one component deep as the component builds them. */
const parts = (name: string, opts: { deadLetter?: boolean; alerts?: boolean }) => [
  resource("camunda-orchestrator:kafka:Topics", `${name}-topics`, {}, { parent: name }),
  ...(opts.deadLetter
    ? [resource("kafka:index/topic:Topic", `${name}-dead-letter`, { name: `${name}.dead-letter`, replicationFactor: 3 }, { parent: `${name}-topics` })]
    : []),
  ...(opts.alerts ? [resource("kubernetes:monitoring.coreos.com/v1:PrometheusRule", `${name}-alerts`, {}, { parent: name })] : []),
];

describe("orchestrator-completeness (stack policy)", () => {
  it("passes orchestrators with their dead-letter topic and alerts, and a Redis Streams one without topics", async () => {
    const stack = [
      orchestrator("checkout", "kafka", true),
      ...parts("checkout", { deadLetter: true, alerts: true }),
      orchestrator("billing", "redis-streams", false),
    ];
    assert.deepStrictEqual(await violations(orchestratorCompleteness, stack), []);
  });

  it("reports each missing part against its own orchestrator, following parent chains", async () => {
    const stack = [
      orchestrator("checkout", "kafka", true),
      ...parts("checkout", { deadLetter: true }),
      orchestrator("billing", "kafka", false),
      // billing's dead-letter topic exists, but belongs to checkout: it does not count for billing.
      resource("kafka:index/topic:Topic", "stray", { name: "billing.dead-letter" }, { parent: "checkout" }),
    ];
    const found = await violations(orchestratorCompleteness, stack);
    assert.deepStrictEqual(
      found.map((v) => [v.resource, v.message]),
      [
        ["urn:pulumi:dev::camunda-orchestrator::" + ORCH + "::checkout", 'Orchestrator "checkout" has monitoring on but no PrometheusRule among its parts.'],
        [
          "urn:pulumi:dev::camunda-orchestrator::" + ORCH + "::billing",
          'Orchestrator "billing" has no dead-letter topic "billing.dead-letter" among its parts.',
        ],
      ],
    );
  });

  it("reports an orchestrator that does not state its event bus or monitoring", async () => {
    const found = await violations(orchestratorCompleteness, [resource(ORCH, "x", { name: "x" })]);
    assert.match(found[0].message, /does not state eventBus and monitoring/);
  });

  it("is not applicable to a stack without orchestrators", async () => {
    assert.deepStrictEqual(await violations(orchestratorCompleteness, [resource("kubernetes:core/v1:Secret", "s", {})]), []);
  });
});
