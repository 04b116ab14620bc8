// Repository scaffolding (issue 10): the seed's advanced example renders a Java source repository and a
// GitOps repository; the TypeScript variant installs, builds and passes its own tests against the
// gateway test peer; regeneration keeps what the team changed.
import { strict as assert } from "assert";
import { execFile, spawnSync } from "child_process";
import { XMLValidator } from "fast-xml-parser";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { parse as parseYaml, parseAllDocuments, stringify } from "yaml";
import { renderStack } from "../render/render";
import { scaffoldRender } from "../render/repositories";
import { RenderOptions, RenderResult } from "../render/types";
import { writeRender } from "../render/write";
import { ScaffoldError, scaffoldModel, sourceRepository } from "../scaffold";
import { readProcesses, workerFor } from "../scaffold/model";
import { JAVA_VERSIONS, NODE_VERSIONS } from "../scaffold/versions";
import { GatewayPeer } from "../workers/test/support/gateway-peer";
import { listFiles } from "./support/files";
import { validateGitopsObject } from "./support/gitops-schemas";
import { KUBECTL_MISSING, kubectlBinary, kustomizeBuild } from "./support/kustomize";
import { Lockfile, scratchLockfile } from "./support/scratch-lock";

const REPO = path.resolve(__dirname, "..");
const SEED_APP = path.join(REPO, "examples", "enterprise-workflows.yaml");
const WORKFLOWS = path.join(REPO, "workers", "workflows");
const run = promisify(execFile);
type Obj = Record<string, any>;

/** Without what a parent `npm test` exports about itself (it would point a child npm at this repository). */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const keep = new Set(["npm_config_cache", "npm_config_registry", "npm_config_userconfig"]);
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_") || keep.has(key.toLowerCase()))),
    ...extra,
  };
}

async function exec(file: string, args: string[], cwd: string, timeout: number, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env: childEnv(env), timeout, maxBuffer: 64 * 1024 * 1024 });
    return stdout + stderr;
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${path.basename(file)} ${args.join(" ")} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

/** The seed example with another language and repository name: for the Node variants. */
function variantApp(dir: string, language: string, repository: string): string {
  const app = parseYaml(fs.readFileSync(SEED_APP, "utf8")) as Obj;
  Object.assign(app.spec.components[0].properties, { language, framework: language === "java" ? "spring-boot" : "node", repository });
  const file = path.join(dir, `${repository}.yaml`);
  fs.writeFileSync(file, stringify(app));
  return file;
}

async function renderInto(out: string, options: RenderOptions): Promise<{ result: RenderResult; report: string[] }> {
  const result = await renderStack(options);
  writeRender(result, out);
  return { result, report: scaffoldRender(result, out) };
}

const gitLog = (dir: string) => spawnSync("git", ["log", "--format=%an|%s"], { cwd: dir, encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean);

describe("scaffold model: the orchestrator's BPMN models read into workers", () => {
  it("reads the shipped models' processes, task types and correlation variables", () => {
    const saga = readProcesses("compensation-saga.bpmn", fs.readFileSync(path.join(WORKFLOWS, "compensation-saga.bpmn"), "utf8"));
    assert.deepEqual(
      saga.processes.map((p) => p.id),
      ["compensation-saga"],
    );
    assert.ok(saga.processes[0].taskTypes.includes("compensate-payment"));
    assert.ok(!saga.processes[0].forwardTaskTypes.includes("compensate-payment"), "compensation handlers are not on the way forward");
    assert.ok(saga.processes[0].forwardCalls.every((c) => /^Task_/.test(c.elementId)));
    assert.deepEqual([...new Set(saga.correlationVariables)], ["sagaId"]);
  });

  it("maps task types to workers and refuses one it cannot implement, naming it", () => {
    assert.deepEqual(workerFor("call-microservice-inventory"), { type: "call-microservice-inventory", kind: "call", service: "inventory" });
    assert.deepEqual(workerFor("compensate-payment"), { type: "compensate-payment", kind: "compensate", service: "payment" });
    assert.throws(() => workerFor("send-email"), /task type "send-email".*call-microservice-<service>/);
  });

  it("refuses malformed BPMN and a component without repository settings", () => {
    assert.throws(() => readProcesses("x.bpmn", "<definitions"), ScaffoldError);
    const properties = {
      realtimePlatform: "p",
      camundaMode: "embedded",
      enableEventStreaming: true,
      sagaPatterns: ["retry"],
      topicsPrefix: "x",
      enableIstioGateway: false,
      resources: { cpu: "1", memory: "1Gi" },
      environment: {},
    } as const;
    assert.throws(
      () => scaffoldModel({ orchestrator: "x", properties: properties as never, namespace: "n", workflows: {} }),
      /language, framework and repository/,
    );
  });

  it("pins the Node versions this repository installs (the generated repository installs offline from them)", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as Lockfile;
    const installed = (name: string) => lock.packages[`node_modules/${name}`]?.version;
    assert.equal(installed("@camunda8/sdk"), NODE_VERSIONS.camundaSdk);
    assert.equal(installed("kafkajs"), NODE_VERSIONS.kafkajs);
    assert.equal(installed("typescript"), NODE_VERSIONS.typescript);
    assert.equal(installed("mocha"), NODE_VERSIONS.mocha);
    assert.equal(installed("@types/node"), NODE_VERSIONS.typesNode);
    assert.equal(installed("@types/mocha"), NODE_VERSIONS.typesMocha);
  });
});

describe("the seed's advanced example (language java, repository enterprise-workflows)", function () {
  this.timeout(120_000);
  let out: string;
  let result: RenderResult;
  let report: string[];
  let source: string;
  let gitops: string;
  const kubectl = kubectlBinary();
  before(async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "scaffold-seed-"));
    ({ result, report } = await renderInto(out, { stack: "dev", appFile: SEED_APP, config: { repositoryOwner: "acme" } }));
    source = path.join(out, "repositories", "enterprise-workflows");
    gitops = path.join(out, "repositories", "enterprise-workflows-gitops");
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it("renders both repositories, each a git repository with one first commit, and says so", () => {
    assert.equal(gitLog(source).length, 1);
    assert.match(gitLog(source)[0], /^camunda-orchestrator render\|Generated java \(spring-boot\) job workers of orchestrator enterprise-orchestrator$/);
    assert.equal(gitLog(gitops).length, 1);
    assert.match(report.join("\n"), /source repository .*enterprise-workflows created/);
    assert.equal(spawnSync("git", ["status", "--porcelain"], { cwd: source, encoding: "utf8" }).stdout, "", "everything committed");
  });

  it("ships the models the orchestrator deploys, byte for byte", () => {
    const configMap = result.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.name.startsWith("enterprise-orchestrator-workflows"))!;
    for (const [file, xml] of Object.entries(configMap.inputs.data as Record<string, string>)) {
      assert.equal(fs.readFileSync(path.join(source, "src/main/resources/bpmn", file), "utf8"), xml);
    }
  });

  it("has a pom.xml that parses, with Camunda 8.8's Spring Boot starter and Camunda Process Test", () => {
    const pom = fs.readFileSync(path.join(source, "pom.xml"), "utf8");
    assert.equal(XMLValidator.validate(pom), true);
    assert.match(pom, /<artifactId>spring-boot-starter-parent<\/artifactId>\s*<version>3\.5\.\d+<\/version>/);
    assert.match(pom, /<groupId>io\.camunda<\/groupId>\s*<artifactId>camunda-spring-boot-starter<\/artifactId>/);
    assert.match(pom, /<artifactId>camunda-process-test-spring<\/artifactId>\s*<version>\$\{camunda\.version\}<\/version>\s*<scope>test<\/scope>/);
    assert.match(pom, new RegExp(`<camunda.version>${JAVA_VERSIONS.camunda.replace(/\./g, "\\.")}</camunda.version>`));
  });

  it("has Java sources that parse, with one @JobWorker per task type of the models", () => {
    const { parse } = require("java-parser") as { parse(text: string): unknown };
    const javaFiles = listFiles(source).filter((f) => f.endsWith(".java"));
    assert.ok(javaFiles.length >= 6);
    for (const file of javaFiles) assert.doesNotThrow(() => parse(fs.readFileSync(path.join(source, file), "utf8")), `${file} does not parse`);
    const javac = spawnSync("javac", ["-version"], { encoding: "utf8" });
    if (javac.status === 0) {
      // Parse-only: the dependencies (Spring, Camunda) are not here, so nothing past parsing is checked.
      const check = spawnSync("javac", ["-XDshould-stop.ifNoError=PARSE", "-XDshould-stop.ifError=PARSE", "-d", path.join(out, "javac"), ...javaFiles], {
        cwd: source,
        encoding: "utf8",
      });
      assert.equal(check.status, 0, check.stderr);
    }
    const sources = javaFiles.map((f) => fs.readFileSync(path.join(source, f), "utf8")).join("\n");
    const types = [...sources.matchAll(/@JobWorker\(type = "([^"]+)"/g)].map((m) => m[1]).sort();
    const modelTypes = [
      ...new Set(
        fs
          .readdirSync(WORKFLOWS)
          .filter((f) => f.endsWith(".bpmn"))
          .flatMap((f) => readProcesses(f, fs.readFileSync(path.join(WORKFLOWS, f), "utf8")).processes.flatMap((p) => p.taskTypes)),
      ),
    ].sort();
    assert.deepEqual(types, modelTypes);
    assert.match(sources, /@CamundaSpringProcessTest/);
  });

  it("has a README, a Dockerfile and a CI workflow; the README says regeneration never overwrites it", () => {
    for (const file of ["README.md", "Dockerfile", ".github/workflows/ci.yml"]) assert.ok(fs.existsSync(path.join(source, file)), file);
    assert.match(fs.readFileSync(path.join(source, "README.md"), "utf8"), /never overwrites it/);
    assert.ok(parseYaml(fs.readFileSync(path.join(source, ".github/workflows/ci.yml"), "utf8")).jobs.test);
  });

  it("GitOps repository: base with workflow ConfigMap, discovery RBAC and configuration; an overlay; a Flux sync; all valid", () => {
    const objects = listFiles(gitops)
      .filter((f) => f.endsWith(".yaml") && !f.startsWith(".git") && path.basename(f) !== "kustomization.yaml")
      .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(gitops, f), "utf8")).map((d) => ({ file: f, object: d.toJS() as Obj })));
    const kinds = new Set(objects.map((o) => o.object.kind));
    for (const kind of [
      "ConfigMap",
      "ServiceAccount",
      "Role",
      "RoleBinding",
      "Service",
      "HelmRelease",
      "ExternalSecret",
      "GitRepository",
      "Kustomization",
      "Namespace",
    ])
      assert.ok(kinds.has(kind), `no ${kind}`);
    const failures = objects.flatMap(({ file, object }) => {
      try {
        validateGitopsObject(object);
        return [];
      } catch (error) {
        return [`${file}: ${(error as Error).message}`];
      }
    });
    assert.deepEqual(failures, []);
    const discovery = objects.find((o) => o.file === "base/discovery-config.yaml")!.object;
    const config = parseYaml(discovery.data["services.yaml"]) as Obj;
    assert.deepEqual(config.label, { "orchestration.platform/managed": "true" });
    assert.deepEqual(
      config.services.map((s: Obj) => s.name),
      ["inventory", "payment", "shipping"],
    );
    const sync: Obj[] = objects.filter((o) => o.file === "clusters/dev/sync.yaml").map((o) => o.object);
    assert.equal(sync.find((o) => o.kind === "GitRepository")?.spec.url, "https://github.com/acme/enterprise-workflows-gitops.git");
    assert.equal(sync.find((o) => o.kind === "Kustomization")?.spec.path, "./overlays/dev");
    assert.ok(!fs.readFileSync(path.join(gitops, "README.md"), "utf8").includes("{{"));
  });

  it("GitOps repository: overlays/dev assembles with `kubectl kustomize`, the Namespace first", function () {
    if (!kubectl) {
      console.warn(`      skipped: ${KUBECTL_MISSING}`);
      this.skip();
    }
    const built = kustomizeBuild(kubectl!, path.join(gitops, "overlays", "dev")) as Obj[];
    assert.equal(built[0].kind, "Namespace");
    assert.ok(built.some((o) => o.kind === "Service" && o.apiVersion === "serving.knative.dev/v1"));
    assert.ok(built.some((o) => o.kind === "ConfigMap" && o.metadata.name === "enterprise-orchestrator-discovery"));
  });

  it("regenerating keeps the team's source repository and overlay, and commits GitOps changes", async () => {
    fs.appendFileSync(path.join(source, "README.md"), "\nOur notes.\n");
    fs.writeFileSync(path.join(source, "src/main/resources/bpmn/compensation-saga.bpmn"), "<edited/>");
    const overlay = path.join(gitops, "overlays", "dev", "kustomization.yaml");
    fs.appendFileSync(overlay, "# our patch\n");
    const sourceBefore = listFiles(source)
      .filter((f) => !f.startsWith(".git"))
      .map((f) => [f, fs.readFileSync(path.join(source, f), "utf8")]);

    const again = await renderInto(out, { stack: "dev", appFile: SEED_APP, config: { repositoryOwner: "acme", workerMaxScale: "5" } });
    assert.match(again.report.join("\n"), /source repository .* exists: left as it is/);
    assert.deepEqual(
      listFiles(source)
        .filter((f) => !f.startsWith(".git"))
        .map((f) => [f, fs.readFileSync(path.join(source, f), "utf8")]),
      sourceBefore,
    );
    assert.match(fs.readFileSync(overlay, "utf8"), /# our patch/);
    assert.equal(gitLog(gitops).length, 2, "the changed render is a second commit");
    assert.match(gitLog(gitops)[0], /Render of stack dev/);
    const worker = fs.readFileSync(path.join(gitops, "base", "shop-dev_service.serving.knative.dev_enterprise-orchestrator-worker.yaml"), "utf8");
    assert.match(worker, /autoscaling\.knative\.dev\/max-scale: "5"/);

    await renderInto(out, { stack: "dev", appFile: SEED_APP, config: { repositoryOwner: "acme", workerMaxScale: "5" } });
    assert.equal(gitLog(gitops).length, 2, "an unchanged render commits nothing");
  });
});

describe("the other languages' source repositories", function () {
  this.timeout(120_000);
  let result: RenderResult;
  before(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaffold-langs-"));
    try {
      result = await renderStack({ stack: "dev", appFile: variantApp(dir, "python", "py-workflows") });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const modelFor = (language: "python" | "go" | "javascript") => {
    const spec = result.orchestrators[0];
    const configMap = result.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.name.includes("workflows"))!;
    return scaffoldModel({
      orchestrator: spec.name,
      properties: { ...spec.properties, language },
      namespace: "shop-dev",
      workflows: configMap.inputs.data as Record<string, string>,
    });
  };

  it("python (pyzeebe): every module compiles, one handler per task type", function () {
    const files = sourceRepository(modelFor("python"));
    const model = modelFor("python");
    for (const w of model.workers) assert.match(files["src/worker/workers.py"], new RegExp(`"${w.type}":`));
    assert.match(files["pyproject.toml"], /"pyzeebe==4\.7\.0"/);
    const python = spawnSync("python3", ["--version"], { encoding: "utf8" });
    if (python.status !== 0) {
      console.warn("      python3 missing: the generated Python sources were not compiled");
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaffold-py-"));
    try {
      for (const [file, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), content);
      }
      const pyFiles = Object.keys(files).filter((f) => f.endsWith(".py"));
      const check = spawnSync("python3", ["-c", "import sys, ast\nfor f in sys.argv[1:]: ast.parse(open(f).read(), f)", ...pyFiles], {
        cwd: dir,
        encoding: "utf8",
      });
      assert.equal(check.status, 0, check.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("go (community Zeebe Go client): a handler per task type, the module pinned", () => {
    const model = modelFor("go");
    const files = sourceRepository(model);
    for (const w of model.workers) assert.match(files["workers.go"], new RegExp(`"${w.type}":`));
    assert.match(files["go.mod"], /github\.com\/camunda-community-hub\/zeebe-client-go\/v8 v8\.6\.0/);
    for (const file of ["README.md", "Dockerfile", ".github/workflows/ci.yml", "handlers_test.go"]) assert.ok(files[file], file);
  });
});

describe("the TypeScript variant installs, builds and passes its own tests against the gateway test peer", function () {
  this.timeout(300_000);
  let dir: string;
  let repo: string;
  let peer: GatewayPeer;
  let result: RenderResult;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaffold-ts-"));
    const out = path.join(dir, "out");
    ({ result } = await renderInto(out, { stack: "dev", appFile: variantApp(dir, "typescript", "ts-workflows") }));
    repo = path.join(out, "repositories", "ts-workflows");
    assert.equal(result.orchestrators[0].properties.language, "typescript");
  });
  after(async () => {
    await peer?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("installs offline from the versions it pins", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as Obj;
    const rootLock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as Lockfile;
    const registry = (await exec("npm", ["config", "get", "registry"], repo, 30_000)).trim();
    const lock = scratchLockfile({
      rootLock,
      registry,
      root: { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies, devDependencies: pkg.devDependencies },
      packages: [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)],
    });
    fs.writeFileSync(path.join(repo, "package-lock.json"), JSON.stringify(lock, null, 2));
    await exec("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], repo, 180_000);
    assert.ok(fs.existsSync(path.join(repo, "node_modules", "@camunda8", "sdk", "package.json")));
  });

  it("builds and passes its tests, the process test included, against the gateway peer", async () => {
    peer = await GatewayPeer.start();
    // The scripted peer hands out, for each started instance, a job of every service call on the process's
    // way forward (what Zeebe would create), so the generated workers complete them for real over gRPC.
    const models = fs
      .readdirSync(path.join(repo, "workflows"))
      .flatMap((f) => readProcesses(f, fs.readFileSync(path.join(repo, "workflows", f), "utf8")).processes);
    peer.on("processStart", (start: { bpmnProcessId: string; processInstanceKey: string; variables: Record<string, unknown> }) => {
      const model = models.find((p) => p.id === start.bpmnProcessId);
      for (const call of model?.forwardCalls ?? []) {
        peer.addJob({
          type: `call-microservice-${call.service}`,
          processInstanceKey: start.processInstanceKey,
          elementId: call.elementId,
          bpmnProcessId: start.bpmnProcessId,
          variables: start.variables,
        });
      }
    });
    const output = await exec("npm", ["test"], repo, 240_000, { ZEEBE_GRPC_ADDRESS: peer.address, CAMUNDA_AUTH_STRATEGY: "NONE", CAMUNDA_LOG_LEVEL: "none" });
    assert.match(output, /(\d+) passing/);
    assert.doesNotMatch(output, /failing|pending/, output);
    assert.match(output, /runs compensation-saga: every service call on its way forward completes/);
    assert.match(output, /runs parallel-orchestration: every service call on its way forward completes/);
    assert.deepEqual(peer.deployments.map((d) => path.basename(d.name)).sort(), ["compensation-saga.bpmn", "parallel-orchestration.bpmn"]);
    const completed = new Set(peer.completions.map((c) => c.job.type));
    for (const service of ["inventory", "payment", "shipping"])
      assert.ok(completed.has(`call-microservice-${service}`), `no completion of call-microservice-${service}`);
  });

  it("the JavaScript variant runs the same tests", async () => {
    const js = path.join(dir, "js");
    const spec = result.orchestrators[0];
    const model = scaffoldModel({
      orchestrator: spec.name,
      properties: { ...spec.properties, language: "javascript", repository: "js-workflows" },
      namespace: result.settings.namespace,
      workflows: Object.fromEntries(fs.readdirSync(path.join(repo, "workflows")).map((f) => [f, fs.readFileSync(path.join(repo, "workflows", f), "utf8")])),
    });
    for (const [file, content] of Object.entries(sourceRepository(model))) {
      fs.mkdirSync(path.dirname(path.join(js, file)), { recursive: true });
      fs.writeFileSync(path.join(js, file), content);
    }
    assert.ok(!Object.keys(sourceRepository(model)).some((f) => f.endsWith(".ts")), "no TypeScript left in the JavaScript variant");
    // Its dependencies are the TypeScript variant's minus the compiler: reuse that install.
    fs.symlinkSync(path.join(repo, "node_modules"), path.join(js, "node_modules"), "dir");
    const output = await exec("npm", ["test"], js, 120_000, { ZEEBE_GRPC_ADDRESS: peer.address, CAMUNDA_AUTH_STRATEGY: "NONE", CAMUNDA_LOG_LEVEL: "none" });
    assert.match(output, /\d+ passing/);
    assert.doesNotMatch(output, /failing/, output);
  });
});

describe("npm run render with repositories, through the output folder's marker", function () {
  this.timeout(120_000);
  let home: string;
  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "scaffold-cli-"));
  });
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  const render = async () => {
    const { runRender } = await import("../render/cli");
    const lines: string[] = [];
    const code = await runRender(
      ["--stack", "dev", "--app", SEED_APP, "--out", "rendered"],
      { env: {}, readFile: (f) => fs.readFileSync(f, "utf8"), readStdin: () => "", cwd: home },
      {
        out: (text: string) => lines.push(text),
        err: (text: string) => lines.push(text),
      },
    );
    return { code, output: lines.join("\n") };
  };

  it("prints the repositories and the next steps, and a second render keeps the source repository it did not list", async () => {
    const first = await render();
    assert.equal(first.code, 0, first.output);
    assert.match(first.output, /repositories:\n- enterprise-orchestrator: source repository rendered\/repositories\/enterprise-workflows created/);
    assert.match(first.output, /next steps:\n- Cluster prerequisites/);
    const marker = JSON.parse(fs.readFileSync(path.join(home, "rendered", ".camunda-orchestrator-render.json"), "utf8")) as { files: string[] };
    assert.ok(!marker.files.some((f) => f.startsWith("repositories/")), "the render's marker does not claim the repositories");
    const readme = path.join(home, "rendered", "repositories", "enterprise-workflows", "README.md");
    fs.appendFileSync(readme, "team notes\n");

    const second = await render();
    assert.equal(second.code, 0, second.output);
    assert.match(second.output, /source repository rendered\/repositories\/enterprise-workflows exists: left as it is/);
    assert.match(fs.readFileSync(readme, "utf8"), /team notes\n$/);
    assert.match(second.output, /GitOps repository rendered\/repositories\/enterprise-workflows-gitops unchanged/);
  });
});
