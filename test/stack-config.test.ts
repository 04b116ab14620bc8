import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { selectComponents } from "../components/oam";
import { resolveStack } from "../components/stack-config";
import { problemsOf } from "./support/validation";

const repo = path.resolve(__dirname, "..");

describe("OAM Applications and stack config", () => {
  it("picks camunda-orchestrator components and lists the others as skipped", () => {
    const selected = selectComponents(
      {
        apiVersion: "core.oam.dev/v1beta1",
        kind: "Application",
        metadata: { name: "shop" },
        spec: {
          components: [
            { name: "checkout", type: "camunda-orchestrator", properties: { realtimePlatform: "shop-events" } },
            { name: "web", type: "webservice", properties: { image: "nginx:1.27" } },
          ],
        },
      },
      "shop.yaml",
    );
    assert.equal(selected.application, "shop");
    assert.deepEqual(selected.components, [{ name: "checkout", properties: { realtimePlatform: "shop-events" } }]);
    assert.deepEqual(selected.skipped, [{ name: "web", type: "webservice" }]);
  });

  it("rejects a document that is not an OAM Application", () => {
    const problems = problemsOf(() => selectComponents({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: {} }, "x.yaml"));
    assert.ok(
      problems.some((p) => /^OAM Application x\.yaml: apiVersion: must be a core\.oam\.dev API version/.test(p)),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((p) => /^OAM Application x\.yaml: kind: /.test(p)),
      problems.join("\n"),
    );
  });

  it("resolves the example Applications from the repository", () => {
    const multi = resolveStack({ application: "examples/platform-multi.yaml", kafkaStrimziNamespace: "kafka" }, new Set(), repo);
    assert.deepEqual(
      multi.specs.map((s) => s.name),
      ["orders", "shipping"],
    );
    assert.deepEqual(multi.skipped, [{ name: "tracking-api", type: "webservice" }]);
    assert.equal(multi.specs[1].properties.topicsPrefix, "logistics.shipping");
  });

  it("takes the same components inline from stack config", () => {
    const inline = JSON.stringify([
      { name: "orders", properties: { realtimePlatform: "logistics-events" } },
      { name: "db", type: "postgres", properties: {} },
    ]);
    const resolved = resolveStack({ components: inline, kafkaStrimziNamespace: "kafka" }, new Set(), repo);
    assert.deepEqual(
      resolved.specs.map((s) => s.name),
      ["orders"],
    );
    assert.deepEqual(resolved.skipped, [{ name: "db", type: "postgres" }]);
  });

  it("says what to set when no orchestrators are configured, or both sources are", () => {
    assert.match(
      problemsOf(() => resolveStack({}, new Set(), repo))[0],
      /set camunda-orchestrator:application to an OAM Application file, or camunda-orchestrator:components/,
    );
    assert.match(
      problemsOf(() => resolveStack({ application: "a.yaml", components: "[]" }, new Set(), repo))[0],
      /set either camunda-orchestrator:application or camunda-orchestrator:components, not both/,
    );
  });

  it("names a missing or unparsable Application file", () => {
    assert.match(
      problemsOf(() => resolveStack({ application: "nope.yaml" }, new Set(), repo))[0],
      /cannot read .*nope\.yaml; it must name an OAM Application YAML file/,
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oam-"));
    fs.writeFileSync(path.join(dir, "broken.yaml"), "spec: [unclosed");
    assert.match(problemsOf(() => resolveStack({ application: "broken.yaml" }, new Set(), dir))[0], /broken\.yaml: not valid YAML/);
    fs.rmSync(dir, { recursive: true });
  });

  it("validates the components it reads, naming them", () => {
    const inline = JSON.stringify([{ name: "orders", properties: { realtimePlatform: "p", camundaMode: "cloud" } }]);
    assert.match(problemsOf(() => resolveStack({ components: inline }, new Set(), repo))[0], /^component "orders": properties\.camundaMode: /);
  });
});
