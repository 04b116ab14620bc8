// The GitHub path of the scaffolding, under Pulumi's mocks: which repositories, which files, which
// contents, and the options that keep a team's edits (issue 10, repository scaffolding).
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { OrchestratorRepositories } from "../components/repositories";
import { ValidationError } from "../components/validation";
import { runUnderMocks } from "../render/mock-run";
import { renderStack } from "../render/render";
import { REDACTED, RenderResult } from "../render/types";
import { isCreatedOnce, sourceRepository } from "../scaffold";
import { stackRepositories } from "../scaffold/repositories";

const SEED_APP = path.resolve(__dirname, "..", "examples", "enterprise-workflows.yaml");
const TOKEN = "ghp_fake-token-Xq7Lm2Vz9Kw4";
const GITHUB = { repositoryProvider: "github", repositoryOwner: "acme" };
type Obj = Record<string, any>;

async function problemsOf(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    return error.problems;
  }
  return assert.fail("expected the render to fail");
}

describe("repositories on GitHub (repositoryProvider github), under mocks", function () {
  this.timeout(120_000);
  let result: RenderResult;
  const filesOf = (repository: string) =>
    Object.fromEntries(
      result.resources
        .filter((r) => r.type === "github:index/repositoryFile:RepositoryFile" && r.inputs.repository === repository)
        .map((r) => [r.inputs.file as string, r.inputs]),
    );
  before(async () => {
    result = await renderStack({ stack: "dev", appFile: SEED_APP, config: GITHUB, secrets: { githubToken: TOKEN } });
  });

  it("creates the source and the GitOps repository, private, archived rather than deleted on destroy", () => {
    const repositories = result.resources.filter((r) => r.type === "github:index/repository:Repository").map((r) => r.inputs as Obj);
    assert.deepEqual(repositories.map((r) => r.name).sort(), ["enterprise-workflows", "enterprise-workflows-gitops"]);
    for (const r of repositories) {
      assert.equal(r.visibility, "private");
      assert.equal(r.autoInit, true);
      assert.equal(r.archiveOnDestroy, true);
    }
  });

  it("uses a provider with the configured owner and the token as a secret", () => {
    const providers = result.resources.filter((r) => r.type === "pulumi:providers:github");
    assert.equal(providers.length, 1);
    assert.equal(providers[0].inputs.owner, "acme");
    assert.equal(providers[0].inputs.token, REDACTED);
    assert.ok(!JSON.stringify(result.resources).includes(TOKEN));
  });

  it("pushes exactly the generated source repository, each file created once (README replaces GitHub's)", () => {
    const spec = result.orchestrators[0];
    const configMap = result.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.name.startsWith(`${spec.name}-workflows`))!;
    const { scaffoldModel } = require("../scaffold") as typeof import("../scaffold");
    const expected = sourceRepository(
      scaffoldModel({
        orchestrator: spec.name,
        properties: spec.properties,
        namespace: result.settings.namespace,
        workflows: configMap.inputs.data as Record<string, string>,
      }),
    );
    const pushed = filesOf("enterprise-workflows");
    assert.deepEqual(Object.keys(pushed).sort(), Object.keys(expected).sort());
    for (const [file, inputs] of Object.entries(pushed)) {
      assert.equal(inputs.content, expected[file], file);
      assert.equal(inputs.overwriteOnCreate, file === "README.md", `${file}: overwriteOnCreate`);
    }
    assert.ok(pushed["pom.xml"] && pushed["src/main/resources/bpmn/compensation-saga.bpmn"]);
  });

  it("pushes exactly the GitOps repository the offline render writes, with the sync pointing at GitHub", () => {
    const expected = stackRepositories(result)[0].gitops;
    const pushed = filesOf("enterprise-workflows-gitops");
    assert.deepEqual(Object.keys(pushed).sort(), Object.keys(expected).sort());
    for (const [file, inputs] of Object.entries(pushed)) assert.equal(inputs.content, expected[file], file);
    assert.match(String(pushed["clusters/dev/sync.yaml"].content), /url: https:\/\/github\.com\/acme\/enterprise-workflows-gitops\.git/);
    assert.match(String(pushed["clusters/dev/sync.yaml"].content), /secretRef:\n\s+name: enterprise-workflows-gitops-git/);
  });

  it("creates nothing on GitHub unless the stack selects it", async () => {
    const plain = await renderStack({ stack: "dev", appFile: SEED_APP });
    assert.deepEqual(
      plain.resources.filter((r) => r.type.includes("github")).map((r) => r.type),
      [],
    );
  });

  it("refuses GitHub without an owner or a token, and a token in plain config", async () => {
    const missing = await problemsOf(renderStack({ stack: "dev", appFile: SEED_APP, config: { repositoryProvider: "github" } }));
    assert.ok(
      missing.some((p) => /repositoryOwner: is required with repositoryProvider github/.test(p)),
      missing.join("\n"),
    );
    assert.ok(
      missing.some((p) => /githubToken: is required .*pulumi config set --secret camunda-orchestrator:githubToken/.test(p)),
      missing.join("\n"),
    );
    const plain = await problemsOf(renderStack({ stack: "dev", appFile: SEED_APP, config: { ...GITHUB, githubToken: TOKEN } }));
    assert.match(plain.join("\n"), /githubToken: holds a credential but is stored in plain text/);
  });
});

describe("OrchestratorRepositories keeps a team's edits", function () {
  this.timeout(60_000);
  it("ignores content changes of source files and of created-once GitOps files, and keeps source files on delete", async () => {
    const options = new Map<string, pulumi.ResourceOptions>();
    await runUnderMocks({ stack: "dev", project: "p", config: {}, secretKeys: [] }, () => {
      pulumi.runtime.registerStackTransformation((args) => {
        options.set(args.name, args.opts);
        return undefined;
      });
      new OrchestratorRepositories("o-repositories", {
        sourceName: "src",
        gitopsName: "src-gitops",
        visibility: "private",
        description: "o",
        sourceFiles: { "README.md": "# src\n", "src/main.ts": "main\n" },
        gitopsFiles: pulumi.output({ "base/a.yaml": "a: 1\n", "overlays/dev/kustomization.yaml": "bases: []\n" }),
        gitopsCreatedOnce: isCreatedOnce,
      });
      return {};
    });
    for (const file of ["README.md", "src/main.ts"]) {
      assert.deepEqual(options.get(`o-repositories-source-${file}`)?.ignoreChanges, ["content"], file);
      assert.equal(options.get(`o-repositories-source-${file}`)?.retainOnDelete, true, file);
    }
    assert.deepEqual(options.get("o-repositories-gitops-overlays/dev/kustomization.yaml")?.ignoreChanges, ["content"]);
    assert.deepEqual(options.get("o-repositories-gitops-base/a.yaml")?.ignoreChanges, []);
  });
});
