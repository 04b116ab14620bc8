import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { selectComponents } from "../components/oam";
import { validateComponent } from "../components/properties";
import { ORCHESTRATOR_VARIABLES, workerEnvironment, WorkerEnvInputs } from "../components/worker-env";
import { loadConfig } from "../workers/src/config";
import { WORKER_VARIABLES } from "../workers/src/contract";
import { problemsOf } from "./support/validation";

const minimal = { realtimePlatform: "shop-events" };
const problemsFor = (environment: Record<string, string>) => problemsOf(() => validateComponent("orders", { ...minimal, environment }));

/** Every combination of the parts that change which variables the orchestrator sets. */
function everyEnvironment(): string[][] {
  const base: WorkerEnvInputs = {
    zeebe: { grpcAddress: "grpc://z:26500", restAddress: "http://z:8080", auth: { strategy: "NONE" } },
    databaseSecretName: "db",
    redisSecretName: "redis",
    events: { enabled: true, bus: "kafka", kafkaBrokers: "k:9092", kafkaTls: false, kafkaSasl: { mechanism: "scram-sha512", secretName: "kafka" } },
    topicsPrefix: "shop",
    sagaPatterns: ["retry"],
    discoveryNamespaces: [],
    workflowsDir: "/workflows",
    extra: {},
  };
  const auths: WorkerEnvInputs["zeebe"]["auth"][] = [
    { strategy: "NONE" },
    { strategy: "BASIC", secretName: "zeebe" },
    { strategy: "OAUTH", secretName: "zeebe", url: "https://login/oauth/token", audience: "zeebe.camunda.io" },
  ];
  const runs: string[][] = [];
  for (const auth of auths) {
    for (const events of [base.events, { enabled: true, bus: "redis-streams" as const }, { enabled: false, bus: "kafka" as const }]) {
      runs.push(workerEnvironment({ ...base, zeebe: { ...base.zeebe, auth }, events }).map((e) => e.name));
    }
  }
  const tracing = {
    endpoint: "http://otel:4318",
    headersSecretName: "otlp",
    protocol: "http/json" as const,
    sampleRatio: 0.5,
    serviceName: "shop-worker",
    namespace: "shop",
  };
  runs.push(workerEnvironment({ ...base, tracing }).map((e) => e.name));
  return runs;
}

describe("the worker contract: one source for variables and saga patterns", () => {
  it("sets only variables the worker's config schema declares, and declares each one it sets", () => {
    const emitted = new Set(everyEnvironment().flat());
    for (const name of emitted) assert.ok((WORKER_VARIABLES as readonly string[]).includes(name), `${name} is set by the component but not read by the worker`);
    assert.deepEqual([...emitted].sort(), [...ORCHESTRATOR_VARIABLES].sort(), "ORCHESTRATOR_VARIABLES lists exactly what the component can set");
  });

  it("applies the worker's default saga patterns when a component names none", () => {
    const worker = loadConfig({ DATABASE_URL: "postgres://db/x" });
    assert.deepEqual(validateComponent("orders", minimal).properties.sagaPatterns, worker.SAGA_PATTERNS);
  });

  it("refuses in `environment` every variable the orchestrator sets, including new ones like the Basic credentials", () => {
    for (const name of [...ORCHESTRATOR_VARIABLES, "PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"]) {
      const problems = problemsFor({ [name]: "x" });
      assert.ok(
        problems.some((p) => p.includes(`properties.environment.${name}: `) && /set by the orchestrator|reserved by Knative/.test(p)),
        `${name}: ${problems.join("\n")}`,
      );
    }
  });

  it("refuses a variable that looks like a worker setting but is not one, naming the right one", () => {
    assert.deepEqual(problemsFor({ DEFAULT_CALL_TIMEOUT_MS: "5000" }), [
      'component "orders": properties.environment.DEFAULT_CALL_TIMEOUT_MS: is not a worker setting and would do nothing; did you mean CALL_TIMEOUT_MS?',
    ]);
    assert.match(problemsFor({ CALL_TIMOUT_MS: "5000" })[0], /did you mean CALL_TIMEOUT_MS\?/);
    assert.match(problemsFor({ POLL_INTERVAL: "50" })[0], /did you mean POLL_INTERVAL_MS\?/);
    assert.match(problemsFor({ log_level: "debug" })[0], /did you mean LOG_LEVEL\?/);
  });

  it("lets through the variables the Camunda SDK reads itself, naming the orchestrator's own setting when one is meant", () => {
    // From the SDK installed here, not a list written in this project.
    const sdkVariables: string[] = require("@camunda8/sdk/dist/lib/Configuration").CamundaEnvironmentVariableDictionary;
    assert.ok(sdkVariables.includes("CAMUNDA_LOG_LEVEL"), "the SDK still names CAMUNDA_LOG_LEVEL");
    const ours = new Set<string>([...ORCHESTRATOR_VARIABLES, ...WORKER_VARIABLES]);
    const environment = Object.fromEntries(sdkVariables.filter((n) => !ours.has(n)).map((n) => [n, "x"]));
    assert.ok(Object.keys(environment).length > 10);
    assert.deepEqual(validateComponent("orders", { ...minimal, environment }).properties.environment, environment);
    assert.match(
      problemsFor({ KAFKA_BROKER: "k:9092" })[0],
      /did you mean KAFKA_BROKERS, which the orchestrator sets itself from the properties and stack config\?/,
    );
  });

  it("checks a worker setting's value with the worker's own schema", () => {
    assert.match(
      problemsFor({ CALL_TIMEOUT_MS: "soon" })[0],
      /properties\.environment\.CALL_TIMEOUT_MS: must be a number \(the worker would refuse to start\)/,
    );
    assert.match(problemsFor({ LOG_LEVEL: "loud" })[0], /properties\.environment\.LOG_LEVEL: /);
    assert.deepEqual(validateComponent("orders", { ...minimal, environment: { CALL_TIMEOUT_MS: "5000", LOG_LEVEL: "debug" } }).properties.environment, {
      CALL_TIMEOUT_MS: "5000",
      LOG_LEVEL: "debug",
    });
  });

  it("lets unrelated variables through", () => {
    const environment = {
      NODE_OPTIONS: "--max-old-space-size=400",
      OTEL_BSP_SCHEDULE_DELAY: "1000",
      TZ: "UTC",
      HTTP_PROXY: "http://proxy:3128",
    };
    assert.deepEqual(validateComponent("orders", { ...minimal, environment }).properties.environment, environment);
  });

  it("holds for every example Application", () => {
    const dir = path.resolve(__dirname, "..", "examples");
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".yaml"))) {
      const { components } = selectComponents(parseYaml(fs.readFileSync(path.join(dir, file), "utf8")), file);
      for (const component of components) assert.doesNotThrow(() => validateComponent(component.name, component.properties), `${file} ${component.name}`);
    }
  });
});
