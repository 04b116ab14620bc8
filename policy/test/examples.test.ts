import assert from "assert";
import * as path from "path";
import { renderStack } from "../../render/render";
import { RenderOptions } from "../../render/types";
import { runPolicies } from "../offline";
import { policies } from "../policies/all";
import { exampleStacks } from "../../test/support/readme";
import { BAD_APP, PROD_SECRETS } from "./support";

const ROOT = path.resolve(__dirname, "../..");
// Each example Application with the stacks it renders in, as the README's table tells a newcomer.
const EXAMPLES: [string, string[]][] = exampleStacks().map(({ file, stacks }) => [file, stacks]);

async function check(options: RenderOptions) {
  const { resources } = await renderStack(options);
  const violations = await runPolicies(policies, resources);
  return { resources, violations, mandatory: violations.filter((v) => v.level === "mandatory") };
}

describe("policies over the example stacks (offline render)", () => {
  it("dev passes with no mandatory violation", async () => {
    const { mandatory } = await check({ stack: "dev" });
    assert.deepStrictEqual(mandatory, []);
  });

  it("prod passes with no mandatory violation, and holds what the policies look at", async () => {
    const { resources, mandatory } = await check({ stack: "prod", secrets: PROD_SECRETS });
    assert.deepStrictEqual(mandatory, []);
    const types = new Set(resources.map((r) => r.type));
    for (const t of [
      "camunda-orchestrator:index:CamundaOrchestrator",
      "kubernetes:serving.knative.dev/v1:Service",
      "kubernetes:rbac.authorization.k8s.io/v1:Role",
      "kubernetes:networking.istio.io/v1:Gateway",
      "kafka:index/topic:Topic",
      "postgresql:index/role:Role",
      "kubernetes:core/v1:ConfigMap",
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
    ]) {
      assert.ok(types.has(t), `prod render has a ${t}`);
    }
  });

  for (const [app, stacks] of EXAMPLES) {
    for (const stack of stacks) {
      it(`${app} in ${stack} passes with no mandatory violation`, async () => {
        const secrets = stack === "prod" ? PROD_SECRETS : {};
        const { mandatory } = await check({ stack, appFile: path.join(ROOT, app), secrets });
        assert.deepStrictEqual(mandatory, []);
      });
    }
  }

  it("the bad Application fails in prod, naming the right policies", async () => {
    const { violations } = await check(BAD_APP);
    const named = (policy: string, pattern: RegExp) => violations.some((v) => v.policy === policy && v.level === "mandatory" && pattern.test(v.message));
    assert.ok(named("no-plaintext-credentials", /environment variable PAYMENT_API_TOKEN/), "plain secret in environment");
    assert.ok(named("no-plaintext-credentials", /container "worker" env PAYMENT_API_TOKEN/), "and in the worker's env");
    assert.ok(named("pinned-images", /worker:latest" uses the latest tag/), "latest image");
    assert.ok(named("kafka-topic-durability", /"careless\.dead-letter" has replication factor 1/), "replication factor 1");
    assert.deepStrictEqual([...new Set(violations.map((v) => v.policy))].sort(), ["kafka-topic-durability", "no-plaintext-credentials", "pinned-images"]);
  });
});
