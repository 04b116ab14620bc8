import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { integrityOf, Lockfile, scratchLockfile } from "./support/scratch-lock";
import { ScratchRun, writeScratchProject } from "./support/scratch-project";

const run = promisify(execFile);
const REPO = path.resolve(__dirname, "..");
const TSC = path.join(REPO, "node_modules", ".bin", "tsc");
const WORKFLOWS = path.join(REPO, "workers", "workflows");
/** The worker modules the components import (workers/src/contract.ts and what it imports), packed with them. */
const WORKER_CONTRACT = ["contract", "config", "headers", "redact"];

/**
 * The environment for child npm and node processes, without what a parent `npm test` exports about
 * itself: `npm_config_local_prefix` and friends would point a child npm at this repository.
 */
function childEnv(): NodeJS.ProcessEnv {
  const keep = new Set(["npm_config_cache", "npm_config_registry", "npm_config_userconfig"]);
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_") || keep.has(key.toLowerCase())));
}

async function exec(file: string, args: string[], cwd: string, timeout: number): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, args, { cwd, env: childEnv(), timeout, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${path.basename(file)} ${args.join(" ")} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

/** Runs a command that must fail; returns its output. */
async function execFailing(file: string, args: string[], cwd: string, timeout: number): Promise<string> {
  try {
    await run(file, args, { cwd, env: childEnv(), timeout });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string; code?: unknown };
    assert.equal(typeof e.code, "number", `expected a non-zero exit, got ${e.message}`);
    return `${e.stdout ?? ""}${e.stderr ?? ""}`;
  }
  return assert.fail(`${path.basename(file)} ${args.join(" ")} succeeded but must fail`);
}

interface PackResult {
  filename: string;
  files: Array<{ path: string }>;
}

describe("the packed library in a scratch Pulumi project", function () {
  this.timeout(150_000);
  const rootPackage = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as {
    name: string;
    version: string;
    main: string;
    types: string;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  let tmp: string;
  let tarball: string;
  let packed: PackResult;
  let scratch: string;

  // `npm pack` builds into dist/ (prepack); a dist/ the test made is removed again, one that was there is left.
  const distDir = path.join(REPO, "dist");
  let distWasThere = true;

  before(async () => {
    distWasThere = fs.existsSync(distDir);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pack-test-"));
    const { stdout } = await exec("npm", ["pack", "--json", "--pack-destination", tmp], REPO, 60_000);
    // Should the prepack script print to stdout, its output comes before the JSON array.
    packed = (JSON.parse(stdout.slice(stdout.indexOf("\n[") + 1)) as PackResult[])[0];
    tarball = path.join(tmp, packed.filename);
    scratch = path.join(tmp, "scratch");
    fs.mkdirSync(scratch);
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    if (!distWasThere) fs.rmSync(distDir, { recursive: true, force: true });
  });

  it("packs the built components with declarations and the BPMN models, and nothing else", () => {
    assert.ok(fs.existsSync(tarball), `no tarball at ${tarball}`);
    const files = packed.files.map((f) => f.path);
    const sources = fs
      .readdirSync(path.join(REPO, "components"))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => f.replace(/\.ts$/, ""));
    for (const source of sources) {
      assert.ok(files.includes(`dist/components/${source}.js`), `dist/components/${source}.js not packed`);
      assert.ok(files.includes(`dist/components/${source}.d.ts`), `dist/components/${source}.d.ts not packed`);
    }
    const models = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".bpmn"));
    assert.ok(models.length > 0);
    for (const model of models) assert.ok(files.includes(`workers/workflows/${model}`), `workers/workflows/${model} not packed`);
    assert.ok(files.includes(rootPackage.main) && files.includes(rootPackage.types), "main and types point into the package");
    // The worker's contract (its config schema, task types): the components derive from it.
    for (const module of WORKER_CONTRACT) {
      assert.ok(files.includes(`dist/workers/src/${module}.js`) && files.includes(`dist/workers/src/${module}.d.ts`), `dist/workers/src/${module} not packed`);
    }
    const contract = new RegExp(`^dist/workers/src/(${WORKER_CONTRACT.join("|")})\\.(js|d\\.ts)$`);
    const stray = files.filter(
      (f) => !contract.test(f) && !/^(dist\/components\/[^/]+\.(js|d\.ts)|workers\/workflows\/[^/]+\.bpmn|package\.json|README\.md|LICENSE)$/.test(f),
    );
    assert.deepEqual(stray, [], "only the library, the worker's contract, their declarations and the top-level models are packed");
    // A build output without a source is left over from an earlier build: prepack starts from an empty dist/.
    const stale = files.filter((f) => f.startsWith("dist/components/") && !sources.includes(path.basename(f).replace(/\.(js|d\.ts)$/, "")));
    assert.deepEqual(stale, [], "packed build outputs without a source in components/");
  });

  it("installs offline from the tarball, compiles a typed import, and runs under mocks", async () => {
    const versions = { ...rootPackage.dependencies, ...rootPackage.devDependencies };
    writeScratchProject(scratch, tarball, versions);
    const scratchPackage = JSON.parse(fs.readFileSync(path.join(scratch, "package.json"), "utf8")) as Record<string, unknown>;
    const rootLock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as Lockfile;
    const registry = (await exec("npm", ["config", "get", "registry"], scratch, 30_000)).stdout.trim();
    const lock = scratchLockfile({
      rootLock,
      registry,
      root: {
        name: scratchPackage.name,
        version: scratchPackage.version,
        dependencies: scratchPackage.dependencies,
        devDependencies: scratchPackage.devDependencies,
      } as Lockfile["packages"][string],
      packages: [...Object.keys(rootPackage.dependencies), "typescript", "@types/node"],
      library: {
        location: `node_modules/${rootPackage.name}`,
        entry: { version: rootPackage.version, resolved: `file:${tarball}`, integrity: integrityOf(tarball), dependencies: rootPackage.dependencies },
      },
    });
    fs.writeFileSync(path.join(scratch, "package-lock.json"), JSON.stringify(lock, null, 2));

    await exec("npm", ["install", "--offline", "--no-audit", "--no-fund"], scratch, 90_000);
    const installed = path.join(scratch, "node_modules", rootPackage.name);
    assert.ok(!fs.lstatSync(installed).isSymbolicLink(), "the library is installed from the tarball, not linked to the repository");
    for (const model of fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".bpmn"))) {
      assert.ok(fs.existsSync(path.join(installed, "workers", "workflows", model)), `installed package lacks workers/workflows/${model}`);
    }

    // The typed import compiles, against the package's own declarations (skipLibCheck is off) ...
    await exec(TSC, ["--noEmit", "-p", scratch], scratch, 60_000);
    // ... and those declarations are really checked: misuse does not compile.
    const misuse = await execFailing(TSC, ["-p", path.join(scratch, "tsconfig.misuse.json")], scratch, 60_000);
    assert.match(misuse, /misuse\.ts\(2,\d+\): error TS2322: Type 'number' is not assignable to type 'Input<string>'/);
    assert.match(misuse, /misuse\.ts\(3,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);

    // The program runs: the orchestrator registers its resources, with the BPMN models from the installed package.
    await exec(TSC, ["-p", path.join(scratch, "tsconfig.run.json")], scratch, 60_000);
    const report = path.join(scratch, "run.json");
    await exec(process.execPath, [path.join("bin", "runner.js"), report], scratch, 60_000);
    const result = JSON.parse(fs.readFileSync(report, "utf8")) as ScratchRun;

    assert.equal(fs.realpathSync(result.libraryEntry), fs.realpathSync(path.join(installed, rootPackage.main)));
    const types = result.resources.map((r) => r.type);
    assert.ok(types.includes("camunda-orchestrator:index:CamundaOrchestrator"), `registered: ${types.join(", ")}`);
    const count = (type: string) => types.filter((t) => t === type).length;
    assert.equal(count("kubernetes:kafka.strimzi.io/v1:KafkaTopic"), 7);
    assert.equal(count("kubernetes:serving.knative.dev/v1:Service"), 1);
    assert.equal(count("kubernetes:helm.sh/v3:Release"), 1);

    const configMaps = result.resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap");
    const workflows = configMaps.find((r) => Object.keys((r.inputs.data ?? {}) as object).some((k) => k.endsWith(".bpmn")));
    assert.ok(workflows, "no ConfigMap with the BPMN models");
    const expected = Object.fromEntries(
      fs
        .readdirSync(WORKFLOWS)
        .filter((f) => f.endsWith(".bpmn"))
        .sort()
        .map((f) => [f, fs.readFileSync(path.join(WORKFLOWS, f), "utf8")]),
    );
    assert.deepEqual(workflows.inputs.data, expected, "the ConfigMap holds the packed models, byte for byte");

    assert.deepEqual(result.outputs, {
      zeebeGatewayAddress: "grpc://checkout-camunda-zeebe-gateway.shop.svc.cluster.local:26500",
      workerUrl: "http://checkout-worker.shop.svc.cluster.local",
      topics: {
        workflowEvents: "checkout.workflow-events",
        serviceResults: "checkout.service-results",
        compensationTriggers: "checkout.compensation-triggers",
        deadLetter: "checkout.dead-letter",
        triggers: "checkout.triggers",
        responses: "checkout.responses",
        errors: "checkout.errors",
      },
      databaseSecret: "checkout-database",
      workflowsConfigMap: String((workflows.inputs.metadata as { name: string }).name),
    });
  });
});
