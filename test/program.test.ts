import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "../render/errors";
import { renderStack } from "../render/render";
import { RenderedResource } from "../render/types";
import { at, ofType, single } from "./support/mock-program";
import { problemsOf } from "./support/validation";

const repo = path.resolve(__dirname, "..");
const prodSecrets = {
  saasClientSecret: "saas-secret-1",
  postgresAdminPassword: "pg-admin-secret-2",
  kafkaSaslPassword: "sasl-secret-3",
  redisUrl: "rediss://:redis-secret-4@redis:6380",
};
const KNATIVE = "kubernetes:serving.knative.dev/v1:Service";
const ORCHESTRATOR = "camunda-orchestrator:index:CamundaOrchestrator";

function workerEnv(resources: RenderedResource[], orchestrator: string): Map<string, { value?: string; valueFrom?: unknown }> {
  const worker = resources.find((r) => r.type === KNATIVE && r.parent === `${orchestrator}-worker`)!;
  return new Map((at(worker, "spec.template.spec.containers.0.env") as Array<{ name: string; value?: string; valueFrom?: unknown }>).map((e) => [e.name, e]));
}

async function rejection(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (error) {
    return problemsOf(() => {
      throw error;
    });
  }
  assert.fail("expected the render to reject");
}

describe("the stack program, rendered offline", () => {
  it("dev: one embedded orchestrator with everything in the cluster", async () => {
    const result = await renderStack({ stack: "dev" });
    assert.deepEqual(
      ofType(result.resources, ORCHESTRATOR).map((r) => r.name),
      ["checkout"],
    );
    assert.equal(single(result.resources, "kubernetes:helm.sh/v3:Release").parent, "checkout-zeebe");
    assert.equal(ofType(result.resources, "kubernetes:kafka.strimzi.io/v1:KafkaTopic").length, 7);
    assert.equal(
      single(result.resources, "kubernetes:core/v1:Namespace").inputs.metadata && at(single(result.resources, "kubernetes:core/v1:Namespace"), "metadata.name"),
      "shop-dev",
    );
    const outputs = result.outputs.orchestrators as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(outputs), ["checkout"]);
    assert.equal(outputs.checkout.zeebeGatewayAddress, "grpc://checkout-camunda-zeebe-gateway.shop-dev.svc.cluster.local:26500");
    assert.equal(outputs.checkout.workerUrl, "http://checkout-worker.shop-dev.svc.cluster.local");
    assert.deepEqual(outputs.checkout.secretNames, { database: "checkout-database", redis: "checkout-redis", zeebeCredentials: "checkout-zeebe-credentials" });
    assert.equal(
      outputs.checkout.operateUrl,
      "http://checkout-camunda-zeebe-gateway.shop-dev.svc.cluster.local:8080/operate",
      "the embedded cluster's Operate",
    );
    assert.equal(workerEnv(result.resources, "checkout").get("KAFKA_BROKERS")?.value, "shop-events-kafka-bootstrap.kafka.svc:9092");
  });

  it("prod: a remote orchestrator behind the Istio gateway, on external Kafka and PostgreSQL", async () => {
    const result = await renderStack({ stack: "prod", secrets: prodSecrets });
    const payments = (result.outputs.orchestrators as Record<string, Record<string, unknown>>).payments;
    assert.equal(payments.zeebeGatewayAddress, "grpcs://4f1d2c3b-0000-4000-8000-000000000001.bru-2.zeebe.camunda.io:443");
    assert.equal(payments.workerUrl, "https://payments.example.com");
    assert.equal(payments.operateUrl, "https://bru-2.operate.camunda.io/4f1d2c3b-0000-4000-8000-000000000001", "the SaaS cluster's Operate");
    assert.equal((payments.topics as Record<string, string>).deadLetter, "payments.prod.dead-letter");
    assert.deepEqual(payments.secretNames, {
      database: "payments-database",
      redis: "payments-redis",
      zeebeCredentials: "payments-zeebe-credentials",
      kafkaCredentials: "payments-kafka-credentials",
    });
    assert.equal(ofType(result.resources, "kubernetes:helm.sh/v3:Release").length, 0);
    assert.equal(ofType(result.resources, "kafka:index/topic:Topic").length, 7);
    assert.equal(at(single(result.resources, "kubernetes:networking.istio.io/v1:Gateway"), "spec.servers.0.tls.credentialName"), "payments-example-com-tls");
    assert.equal(single(result.resources, "postgresql:index/role:Role").parent, "payments-database");
  });

  it("several orchestrators, and components of other types left out", async () => {
    const result = await renderStack({ stack: "dev", appFile: path.join(repo, "examples/platform-multi.yaml") });
    assert.deepEqual(
      ofType(result.resources, ORCHESTRATOR).map((r) => r.name),
      ["orders", "shipping"],
    );
    assert.ok(!result.resources.some((r) => r.name.startsWith("tracking-api")));
    assert.equal(workerEnv(result.resources, "shipping").get("ENABLE_EVENT_STREAMING")?.value, "false");
    assert.equal(workerEnv(result.resources, "shipping").get("TOPICS_PREFIX")?.value, "logistics.shipping");
  });

  it("takes components inline from stack config", async () => {
    // A scratch project: the real program and components, a stack file with an inline list.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-"));
    fs.copyFileSync(path.join(repo, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.copyFileSync(path.join(repo, "index.ts"), path.join(dir, "index.ts"));
    for (const link of ["components", "render", "scaffold", "node_modules", "workers"]) fs.symlinkSync(path.join(repo, link), path.join(dir, link));
    fs.writeFileSync(
      path.join(dir, "Pulumi.inline.yaml"),
      [
        "config:",
        "  camunda-orchestrator:kafkaStrimziNamespace: kafka",
        "  camunda-orchestrator:components:",
        "    - name: inline",
        "      properties: { realtimePlatform: p, camundaMode: embedded }",
        "    - name: db",
        "      type: postgres",
        "",
      ].join("\n"),
    );
    try {
      const inline = await renderStack({ stack: "inline", projectDir: dir });
      assert.deepEqual(
        ofType(inline.resources, ORCHESTRATOR).map((r) => r.name),
        ["inline"],
      );
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it("reads a platform's Kafka from its stack, and stack config wins over it", async () => {
    const config = { kafkaMode: "external", kafkaBootstrapServers: "", platformStackTemplate: "acme/realtime-{platform}/{stack}" };
    const stackOutputs = { "acme/realtime-shop-events/dev": { kafkaBootstrapServers: "platform-kafka:9093" } };
    const { kafkaBootstrapServers: _unset, ...withoutServers } = config;
    const fromStack = await renderStack({ stack: "dev", config: withoutServers, stackOutputs });
    assert.equal(at(single(fromStack.resources, "pulumi:pulumi:StackReference"), "name"), "acme/realtime-shop-events/dev");
    assert.equal(workerEnv(fromStack.resources, "checkout").get("KAFKA_BROKERS")?.value, "platform-kafka:9093");
    const fromConfig = await renderStack({ stack: "dev", config: { ...withoutServers, kafkaBootstrapServers: "config-kafka:9093" }, stackOutputs });
    assert.equal(ofType(fromConfig.resources, "pulumi:pulumi:StackReference").length, 0);
    assert.equal(workerEnv(fromConfig.resources, "checkout").get("KAFKA_BROKERS")?.value, "config-kafka:9093");
  });

  it("stops with the platform stack's name and the fix when its output is missing or malformed, instead of crashing or hanging", async () => {
    const config = { kafkaMode: "external", platformStackTemplate: "acme/realtime-{platform}/{stack}" };
    const failure = async (stackOutputs?: Record<string, Record<string, unknown>>) => {
      try {
        await renderStack({ stack: "dev", config, stackOutputs });
      } catch (error) {
        assert.ok(error instanceof InputError, `expected an InputError, got ${(error as Error).stack}`);
        return error.message;
      }
      return assert.fail("expected the render to fail");
    };
    const fix = 'export it from that stack as "host:port[,host:port...]", or set camunda-orchestrator:kafkaBootstrapServers in this one';
    assert.equal(
      await failure(),
      [
        `stack "acme/realtime-shop-events/dev" (realtimePlatform "shop-events", from camunda-orchestrator:platformStackTemplate) has no output "kafkaBootstrapServers": ${fix}`,
        'the offline render answers StackReferences from --stack-outputs <file.json>, { "<stack>": { "<output>": value } }; it was given none for "acme/realtime-shop-events/dev"',
      ].join("\n"),
    );
    assert.equal(
      await failure({ "acme/realtime-shop-events/dev": { kafkaBootstrapServers: ["k:9092"] } }),
      `stack "acme/realtime-shop-events/dev": output "kafkaBootstrapServers" must be "host:port[,host:port...]", it is a object: ${fix}`,
    );
  });

  it("returns what the program warns about instead of printing it", async () => {
    const printed: unknown[][] = [];
    const original = { log: console.log, warn: console.warn, error: console.error };
    Object.assign(console, {
      log: (...a: unknown[]) => printed.push(a),
      warn: (...a: unknown[]) => printed.push(a),
      error: (...a: unknown[]) => printed.push(a),
    });
    let result;
    try {
      result = await renderStack({ stack: "dev", appFile: path.join(repo, "examples/platform-multi.yaml") });
    } finally {
      Object.assign(console, original);
    }
    assert.deepEqual(printed, []);
    assert.deepEqual(result.warnings, [
      `component "tracking-api" in ${path.join(repo, "examples/platform-multi.yaml")} has type "webservice", not "camunda-orchestrator": skipped`,
      "compensation-saga.bpmn is not shipped to shipping: task type compensate-inventory: the compensation saga pattern is off; " +
        "task type compensate-payment: the compensation saga pattern is off; task type compensate-shipping: the compensation saga pattern is off; " +
        "task type publish-and-wait: event streaming is off (ENABLE_EVENT_STREAMING=false)",
    ]);
  });

  it("deploys no orchestrator only when told to, and then creates just the namespace", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "none-"));
    try {
      fs.writeFileSync(
        path.join(dir, "web.yaml"),
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: { name: web }\nspec:\n  components:\n  - name: web\n    type: webservice\n",
      );
      const problems = await rejection(renderStack({ stack: "dev", appFile: path.join(dir, "web.yaml") }));
      assert.match(problems[0], /has no component of type "camunda-orchestrator", only "web" \(webservice\)/);
      const none = await renderStack({ stack: "dev", appFile: path.join(dir, "web.yaml"), config: { allowNoOrchestrators: "true" } });
      assert.deepEqual(
        none.resources.map((r) => r.type),
        ["kubernetes:core/v1:Namespace"],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a remote component without its SaaS secret says which key to set and how", async () => {
    const problems = await rejection(
      renderStack({
        stack: "dev",
        appFile: path.join(repo, "examples/payments-remote.yaml"),
        config: {
          saasClusterId: "c",
          saasRegion: "bru-2",
          saasClientId: "id",
          gatewayJwtIssuer: "https://idp.example.com/r",
          gatewayJwksUri: "https://idp.example.com/r/certs",
        },
      }),
    );
    assert.deepEqual(problems, [
      'component "payments": camundaMode remote needs stack config camunda-orchestrator:saasClientSecret; set it with `pulumi config set --secret camunda-orchestrator:saasClientSecret <value>` (offline render: `--secret-env saasClientSecret=<VARIABLE>` or `--secret-file saasClientSecret=<file>`)',
    ]);
  });

  it("a credential given as plain config is refused", async () => {
    const { saasClientSecret: _asPlainConfig, ...otherSecrets } = prodSecrets;
    const problems = await rejection(renderStack({ stack: "prod", config: { saasClientSecret: "oops" }, secrets: otherSecrets }));
    assert.match(problems[0], /saasClientSecret: holds a credential but is stored in plain text/);
  });

  it("names an unknown stack and the stacks there are", async () => {
    const problems = await rejection(renderStack({ stack: "staging" }));
    assert.match(problems[0], /stack "staging": no stack file .*Pulumi\.staging\.yaml; stacks here: dev, prod/);
  });
});

describe("npm run render", () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", path.join(repo, "render/cli.ts"), ...args], {
      cwd: repo,
      encoding: "utf8",
    });

  it("writes resources, manifests, Helm values and outputs, and prints a summary", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
    try {
      const run = cli(["--stack", "dev", "--app", "examples/platform-multi.yaml", "--out", out]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /stack dev: \d+ resources/);
      assert.match(run.stdout, /orders: .*Service\.serving\.knative\.dev 1/);
      assert.match(run.stderr, /component "tracking-api" .* has type "webservice", not "camunda-orchestrator": skipped/);
      const resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as Array<Record<string, unknown>>;
      assert.deepEqual(Object.keys(resources[0]).sort(), ["inputs", "name", "parent", "type"]);
      assert.ok(resources.some((r) => r.type === ORCHESTRATOR && r.parent === null));
      assert.ok(fs.existsSync(path.join(out, "manifests", "orders", "shop-dev_service.serving.knative.dev_orders-worker.yaml")));
      assert.ok(fs.existsSync(path.join(out, "manifests", "kustomization.yaml")));
      assert.match(run.stdout, /next steps:[\s\S]*kubectl apply -k/);
      assert.deepEqual(fs.readdirSync(path.join(out, "helm")).sort(), ["orders-camunda.values.yaml", "shipping-camunda.values.yaml"]);
      assert.ok(JSON.parse(fs.readFileSync(path.join(out, "outputs.json"), "utf8")).orchestrators.orders);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("exits non-zero on invalid input and writes nothing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-bad-"));
    const app = path.join(dir, "bad.yaml");
    fs.writeFileSync(
      app,
      "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: { name: bad }\nspec:\n  components:\n  - name: orders\n    type: camunda-orchestrator\n    properties: { realtimePlatform: shop, sagaPatterns: [undo], colour: blue }\n",
    );
    const out = path.join(dir, "out");
    const run = cli(["--stack", "dev", "--app", app, "--out", out]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /component "orders": properties\.sagaPatterns\.0: must be one of compensation, timeout, retry \(got "undo"\)/);
    assert.match(run.stderr, /component "orders": properties: unknown property "colour"/);
    assert.ok(!fs.existsSync(out), "nothing written");
    fs.rmSync(dir, { recursive: true });
  });

  it("rejects unknown flags, pointing at --help", () => {
    const run = cli(["--stack", "dev", "--colour", "blue"]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /Unknown option '--colour'\nRun `npm run render -- --help` for the options\./);
  });
});
