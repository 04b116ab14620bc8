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

/** Library wording that must never reach a user: zod's, yaml's, JSON.parse's. */
const LIBRARY_WORDING = /Invalid input|Invalid option|expected \w+, received|Too small|Too big|parseAllDocuments|Unrecognized key|is not valid JSON$/;

describe("an Application a newcomer gets wrong", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "oam-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Resolves a stack whose Application file holds `text` (on Strimzi, whose Kafka namespace is then required). */
  const resolveFile = (text: string, raw: Record<string, string> = { kafkaStrimziNamespace: "kafka" }) => {
    fs.writeFileSync(path.join(dir, "app.yaml"), text);
    return resolveStack({ application: "app.yaml", ...raw }, new Set(), dir);
  };
  const app = (components: string, spec = "") =>
    `apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: { name: shop }\nspec:\n${spec}  components:\n${components}`;
  const component = (type: string, extra = "") => `  - name: checkout\n    type: ${type}\n    properties: { realtimePlatform: shop-events }\n${extra}`;

  it("refuses a type a few typing mistakes from camunda-orchestrator, suggesting it, and skips other types", () => {
    for (const type of ["camunda-orchestrater", "Camunda-Orchestrator", "camunda_orchestrator", "camunda-orchestration", "camnuda-orchestrator"]) {
      const problems = problemsOf(() => resolveFile(app(component(type))));
      assert.deepEqual(problems, [
        `component "checkout" in app.yaml: type: "${type}" is not a known type, but close to "camunda-orchestrator": did you mean "camunda-orchestrator"? (Components of other types are skipped, and skipping this one would leave its orchestrator out.)`,
      ]);
    }
    const resolved = resolveFile(app(component("camunda-orchestrator") + "  - name: docs\n    type: camunda-docs-site\n"));
    assert.deepEqual(resolved.skipped, [{ name: "docs", type: "camunda-docs-site" }]);
  });

  it("refuses an Application without orchestrators unless allowNoOrchestrators is set", () => {
    const webOnly = app("  - name: web\n    type: webservice\n");
    assert.deepEqual(
      problemsOf(() => resolveFile(webOnly)),
      [
        'app.yaml: has no component of type "camunda-orchestrator", only "web" (webservice). On a stack that has orchestrators, `pulumi up` would delete them. ' +
          'Add a component of type "camunda-orchestrator", or set camunda-orchestrator:allowNoOrchestrators to true to deploy none on purpose',
      ],
    );
    const allowed = resolveFile(webOnly, { allowNoOrchestrators: "true" });
    assert.deepEqual(allowed.specs, []);
    assert.deepEqual(allowed.warnings, ['component "web" in app.yaml has type "webservice", not "camunda-orchestrator": skipped']);
    assert.match(
      problemsOf(() => resolveStack({ components: "[]" }, new Set(), dir))[0],
      /^camunda-orchestrator:components: has no component of type "camunda-orchestrator"\. /,
    );
  });

  it("names the KubeVela fields it does not act on in warnings, and refuses a field KubeVela does not have", () => {
    const resolved = resolveFile(
      app(
        component("camunda-orchestrator", "    traits: [{ type: scaler, properties: { replicas: 3 } }]\n    dependsOn: [db]\n"),
        "  policies: [{ name: topology, type: topology }]\n  workflow: { steps: [] }\n",
      ),
    );
    assert.deepEqual(
      resolved.specs.map((s) => s.name),
      ["checkout"],
    );
    assert.deepEqual(resolved.warnings, [
      "OAM Application app.yaml: spec.policies, spec.workflow: KubeVela fields this program does not act on; ignored (an orchestrator is configured by its properties and the stack config)",
      'component "checkout" in app.yaml: dependsOn, traits: KubeVela fields this program does not act on; ignored (an orchestrator is configured by its properties and the stack config)',
    ]);
    assert.deepEqual(
      problemsOf(() => resolveFile(app("  - name: checkout\n    type: camunda-orchestrator\n    propertes: { realtimePlatform: shop-events }\n"))),
      [
        'component "checkout" in app.yaml: unknown field "propertes"; allowed: name, type, properties, externalRevision, dependsOn, inputs, outputs, traits, scopes',
      ],
    );
    assert.match(
      problemsOf(() => resolveFile(app(component("camunda-orchestrator"), "  component: []\n")))[0],
      /^OAM Application app\.yaml: spec: unknown property "component"; allowed: components, policies, workflow$/,
    );
  });

  it("says in its own words what is missing, empty, not one document, or not JSON", () => {
    const problems = [
      ...problemsOf(() => resolveFile(app("  - name: checkout\n    type: camunda-orchestrator\n"))),
      ...problemsOf(() => resolveFile(app(component("camunda-orchestrator")) + "---\napiVersion: v1\nkind: ConfigMap\n")),
      ...problemsOf(() => resolveFile("# nothing yet\n")),
      ...problemsOf(() => resolveFile(app("  - type: camunda-orchestrator\n"))),
      ...problemsOf(() => resolveStack({ application: "" }, new Set(), dir)),
      ...problemsOf(() => resolveStack({ components: "[{name: orders}]" }, new Set(), dir)),
      ...problemsOf(() => resolveStack({ components: '[{"name": ""}]' }, new Set(), dir)),
      ...problemsOf(() => resolveStack({ components: '{"name": "orders"}' }, new Set(), dir)),
    ];
    assert.deepEqual(
      problems.map((p) => p.replace(dir, "<dir>").replace(/\([^()]* at position \d+\); /, "(…); ")),
      [
        "component \"checkout\": properties.realtimePlatform: is required: a DNS label naming the event platform (lower case letters, digits, '-')",
        "OAM Application app.yaml: holds 2 YAML documents (Application, ConfigMap); it must hold exactly one, the OAM Application: move the others to files of their own",
        "OAM Application app.yaml: is empty; it must hold an OAM Application (apiVersion: core.oam.dev/v1beta1, kind: Application)",
        "OAM Application app.yaml: spec.components.0.name: is required: the component's name",
        'stack config: camunda-orchestrator:application: must not be empty: the path of an OAM Application file, relative to the project (got "")',
        'stack config: camunda-orchestrator:components: not valid JSON (…); give a list of components, e.g. [{"name":"orders","properties":{"realtimePlatform":"shop-events"}}], or a YAML list in the stack file',
        'stack config: camunda-orchestrator:components.0.name: must not be empty: the component\'s name (got "")',
        'stack config: camunda-orchestrator:components: must be a list of components ({name, type?, properties}) (got {"name":"orders"})',
      ],
    );
    for (const problem of problems) assert.doesNotMatch(problem, LIBRARY_WORDING);
  });
});
