import assert from "assert";
import * as kafka from "@pulumi/kafka";
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policyConfig, resourceArgs, runPolicies, stackResources } from "../offline";
import { policies } from "../policies/all";
import { pinnedImages } from "../policies/pinned-images";
import { resource } from "./support";

const latest = resource("kubernetes:apps/v1:Deployment", "redis", { spec: { template: { spec: { containers: [{ name: "redis", image: "redis" }] } } } });

describe("offline adapter", () => {
  it("gives validators CrossGuard-shaped args: isType/asType by type token, parent urn in opts", () => {
    const topic = resource("kafka:index/topic:Topic", "t", { name: "a.b", replicationFactor: 3 }, { parent: "a" });
    const args = resourceArgs(topic, () => ({}) as any, "urn:parent");
    assert.strictEqual(args.isType(kafka.Topic), true);
    assert.strictEqual(args.asType(kafka.Topic)?.replicationFactor, 3);
    assert.strictEqual(args.isType(kafka.Quota), false);
    assert.strictEqual(args.opts.parent, "urn:parent");
    assert.throws(() => args.notApplicable("why"));
  });

  it("links stack resources to their parent objects by name and the parent type in the URN", () => {
    const parent = resource("kubernetes:core/v1:Secret", "a", {});
    const child = { ...resource("kubernetes:core/v1:ConfigMap", "c", {}, { parent: "a" }) };
    child.urn = "urn:pulumi:dev::p::pulumi:pulumi:Stack$kubernetes:core/v1:Secret$kubernetes:core/v1:ConfigMap::c";
    const linked = stackResources([resource("camunda-orchestrator:x:Y", "a", {}), parent, child]);
    assert.strictEqual(linked[2].parent, linked[1]);
  });

  it("links by name, preferring components, when the URN names no parent type", () => {
    const linked = stackResources([
      resource("kubernetes:core/v1:Secret", "a", {}),
      resource("camunda-orchestrator:index:CamundaOrchestrator", "a", {}),
      resource("kubernetes:core/v1:ConfigMap", "child", {}, { parent: "a" }),
    ]);
    assert.strictEqual(linked[2].parent, linked[1]);
    assert.strictEqual(linked[2].opts.parent, linked[1].urn);
    assert.strictEqual(linked[0].parent, undefined);
  });

  it("resolves levels and options like --policy-pack-config", () => {
    assert.deepStrictEqual(policyConfig(pinnedImages, {}), { level: "mandatory", options: {} });
    assert.deepStrictEqual(policyConfig(pinnedImages, { "pinned-images": "advisory" }), { level: "advisory", options: {} });
    assert.deepStrictEqual(policyConfig(pinnedImages, { "pinned-images": { requireDigest: true } }), {
      level: "mandatory",
      options: { requireDigest: true },
    });
  });

  it("reports with the configured level, skips disabled policies, and counts remediate as mandatory", async () => {
    assert.deepStrictEqual(
      (await runPolicies([pinnedImages], [latest])).map((v) => [v.policy, v.level, v.resource]),
      [["pinned-images", "mandatory", latest.urn]],
    );
    assert.strictEqual((await runPolicies([pinnedImages], [latest], { "pinned-images": "advisory" }))[0].level, "advisory");
    assert.strictEqual((await runPolicies([pinnedImages], [latest], { "pinned-images": "remediate" }))[0].level, "mandatory");
    assert.deepStrictEqual(await runPolicies([pinnedImages], [latest], { "pinned-images": "disabled" }), []);
  });

  it("runs every validation of a policy and reports stack violations without a urn against the stack", async () => {
    const twice: ResourceValidationPolicy = {
      name: "twice",
      description: "d",
      enforcementLevel: "advisory",
      validateResource: [(_a, report) => report("one"), (_a, report) => report("two")],
    };
    const stackWide: StackValidationPolicy = { name: "stack", description: "d", validateStack: (_a, report) => report("whole") };
    const found = await runPolicies([twice, stackWide], [latest]);
    assert.deepStrictEqual(
      found.map((v) => [v.policy, v.message, v.level, v.resource]),
      [
        ["twice", "one", "advisory", latest.urn],
        ["twice", "two", "advisory", latest.urn],
        ["stack", "whole", "advisory", "dev"],
      ],
    );
  });

  it("holds every policy with a unique name, a description and a default level", () => {
    const names = policies.map((p) => p.name);
    assert.strictEqual(new Set(names).size, names.length);
    for (const p of policies) {
      assert.ok(p.description.includes("Fix:"), `${p.name} tells the fix`);
      assert.ok(p.enforcementLevel, `${p.name} has a level`);
    }
  });
});
