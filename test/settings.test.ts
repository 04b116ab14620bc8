import { strict as assert } from "assert";
import { validateComponent } from "../components/properties";
import { checkSettingsFor, parseStackSettings } from "../components/settings";
import { problemsOf } from "./support/validation";

const none = new Set<string>();

describe("stack settings", () => {
  it("has documented defaults", () => {
    const settings = parseStackSettings({}, none);
    assert.equal(settings.namespace, "camunda-orchestration");
    assert.equal(settings.eventBus, "kafka");
    assert.equal(settings.kafkaMode, "strimzi");
    assert.equal(settings.postgresMode, "in-cluster");
    assert.equal(settings.redisMode, "in-cluster");
    assert.equal(settings.monitoring, true);
    assert.deepEqual(settings.discoveryNamespaces, []);
    assert.equal(settings.deadLetterRetentionMs, 14 * 24 * 3600 * 1000);
  });

  it("converts the strings Pulumi hands over", () => {
    const settings = parseStackSettings(
      {
        monitoring: "false",
        kafkaReplicationFactor: "3",
        kafkaMinInsyncReplicas: "2",
        discoveryNamespaces: "shop, payments",
        monitoringLabels: JSON.stringify({ release: "kube-prometheus-stack" }),
        namespaceLabels: JSON.stringify({ "istio-injection": "enabled" }),
        camundaHelmValues: JSON.stringify({ orchestration: { podLabels: { team: "shop" } } }),
        workerCpuTarget: "60",
      },
      none,
    );
    assert.equal(settings.monitoring, false);
    assert.equal(settings.kafkaReplicationFactor, 3);
    assert.deepEqual(settings.discoveryNamespaces, ["shop", "payments"]);
    assert.deepEqual(settings.monitoringLabels, { release: "kube-prometheus-stack" });
    assert.deepEqual(settings.namespaceLabels, { "istio-injection": "enabled" });
    assert.deepEqual(settings.camundaHelmValues, { orchestration: { podLabels: { team: "shop" } } });
    assert.equal(settings.workerCpuTarget, 60);
    assert.equal(parseStackSettings({}, none).kafkaStrimziApiVersion, "v1");
  });

  const rejected: Array<[string, Record<string, string>, RegExp]> = [
    ["an unknown key", { kafkaReplicas: "3" }, /stack config: camunda-orchestrator: unknown property "kafkaReplicas"; allowed: .*kafkaReplicationFactor/],
    ["a bad boolean", { monitoring: "yes" }, /camunda-orchestrator:monitoring: /],
    ["a bad number", { kafkaPartitions: "many" }, /camunda-orchestrator:kafkaPartitions: /],
    ["an unknown mode", { postgresMode: "cloud" }, /camunda-orchestrator:postgresMode: must be one of in-cluster, external \(got "cloud"\)/],
    ["malformed bootstrap servers", { kafkaBootstrapServers: "kafka:abc" }, /kafkaBootstrapServers: must be host:port/],
    [
      "a traffic split, which cannot split jobs a worker pulls",
      { workerTraffic: JSON.stringify([{ latestRevision: true, percent: 100 }]) },
      /camunda-orchestrator:workerTraffic: was removed: .*does not split the jobs a worker pulls.*blue\/green/,
    ],
    [
      "a concurrency target, which never sees a pull worker's load",
      { workerConcurrencyTarget: "50" },
      /camunda-orchestrator:workerConcurrencyTarget: was removed: .*set workerCpuTarget/,
    ],
    [
      "min scale 0, which stops job activation for good",
      { workerMinScale: "0" },
      /workerMinScale: must be at least 1: a worker pulls its jobs, so no request ever wakes a revision scaled to zero/,
    ],
    ["a CPU target beyond 100 percent", { workerCpuTarget: "150" }, /workerCpuTarget: /],
    ["min scale above max scale", { workerMinScale: "5", workerMaxScale: "2" }, /workerMinScale: must not exceed workerMaxScale \(2\)/],
    ["monitoring labels that are no map of strings", { monitoringLabels: JSON.stringify({ release: 1 }) }, /monitoringLabels\.release: /],
    ["an invalid label key", { namespaceLabels: JSON.stringify({ "bad key": "x" }) }, /namespaceLabels\.bad key: must be a Kubernetes label key/],
    ["Helm values that are no map", { camundaHelmValues: "[1]" }, /camundaHelmValues: /],
    ["an unknown KafkaTopic version", { kafkaStrimziApiVersion: "v1beta1" }, /kafkaStrimziApiVersion: must be one of v1, v1beta2/],
    ["min.insync.replicas above replication", { kafkaMinInsyncReplicas: "2" }, /kafkaMinInsyncReplicas: must not exceed kafkaReplicationFactor \(1\)/],
    ["a stack template without {platform}", { platformStackTemplate: "acme/platform/prod" }, /platformStackTemplate: must contain \{platform\}/],
    ["a redis URL of another scheme", { redisUrl: "http://redis" }, /redisUrl: must be a redis:\/\/ or rediss:\/\/ URL/],
  ];
  for (const [what, raw, expected] of rejected) {
    it(`rejects ${what}`, () => {
      const problems = problemsOf(() => parseStackSettings(raw, new Set(Object.keys(raw).filter((k) => k === "redisUrl"))));
      assert.ok(
        problems.some((p) => p.startsWith("stack config: ") && expected.test(p)),
        `got:\n${problems.join("\n")}`,
      );
    });
  }

  it("rejects credentials stored in plain text, saying how to store them", () => {
    const problems = problemsOf(() => parseStackSettings({ saasClientSecret: "abc", postgresAdminPassword: "pw" }, none));
    assert.equal(problems.length, 2);
    assert.match(
      problems[0],
      /camunda-orchestrator:saasClientSecret: holds a credential but is stored in plain text; set it with `pulumi config set --secret camunda-orchestrator:saasClientSecret <value>` \(offline render: `--secret-env saasClientSecret=<VARIABLE>` or `--secret-file saasClientSecret=<file>`\)/,
    );
    assert.doesNotThrow(() => parseStackSettings({ saasClientSecret: "abc" }, new Set(["saasClientSecret"])));
  });
});

describe("what orchestrators need from the stack", () => {
  const remote = validateComponent("payments", { realtimePlatform: "p", camundaMode: "remote" });
  const embedded = validateComponent("checkout", { realtimePlatform: "p" });

  it("asks a remote component for every SaaS key, the secret one as a secret", () => {
    const problems = problemsOf(() => checkSettingsFor([remote], parseStackSettings({ kafkaStrimziNamespace: "kafka" }, none)));
    assert.deepEqual(
      problems.map((p) => /camunda-orchestrator:(\w+);/.exec(p)?.[1]),
      ["saasClusterId", "saasRegion", "saasClientId", "saasClientSecret"],
    );
    assert.match(
      problems[3],
      /^component "payments": camundaMode remote needs stack config camunda-orchestrator:saasClientSecret; set it with `pulumi config set --secret/,
    );
  });

  it("needs nothing for an embedded component on the defaults but the Strimzi cluster's namespace", () => {
    checkSettingsFor([embedded], parseStackSettings({ kafkaStrimziNamespace: "kafka" }, none));
  });

  it("needs the Strimzi cluster's namespace in strimzi mode: Strimzi 1.x's Topic Operator watches only its own", () => {
    const problems = problemsOf(() => checkSettingsFor([embedded], parseStackSettings({}, none)));
    assert.deepEqual(problems, [
      "stack config: kafkaMode strimzi (topics of checkout) needs stack config camunda-orchestrator:kafkaStrimziNamespace, the namespace of the Kafka cluster " +
        "(Strimzi 1.x's Topic Operator reconciles topics only there); set it with `pulumi config set camunda-orchestrator:kafkaStrimziNamespace <value>` (offline render: `--config kafkaStrimziNamespace=<value>`)",
    ]);
    const noTopics = validateComponent("quiet", { realtimePlatform: "p", enableEventStreaming: false });
    checkSettingsFor([noTopics], parseStackSettings({}, none));
    checkSettingsFor([embedded], parseStackSettings({ eventBus: "redis-streams" }, none));
  });

  it("reports stack-wide problems as the stack's, not as the first component's", () => {
    const problems = problemsOf(() =>
      checkSettingsFor(
        [embedded, remote],
        parseStackSettings(
          { postgresMode: "external", kafkaStrimziNamespace: "kafka", saasClusterId: "c", saasRegion: "r", saasClientId: "i", saasClientSecret: "s" },
          new Set(["saasClientSecret"]),
        ),
      ),
    );
    assert.deepEqual(
      problems.map((p) => p.slice(0, p.indexOf(" needs"))),
      ["stack config: postgresMode external", "stack config: postgresMode external"],
    );
  });

  it("needs a complete OIDC client for camundaAuth oidc when a component runs Camunda embedded", () => {
    const problems = problemsOf(() => checkSettingsFor([embedded], parseStackSettings({ camundaAuth: "oidc", kafkaStrimziNamespace: "kafka" }, none)));
    assert.deepEqual(
      problems.map((p) => /camunda-orchestrator:(\w+);/.exec(p)?.[1]),
      ["camundaOidcIssuerUrl", "camundaOidcTokenUrl", "camundaOidcClientId", "camundaOidcClientSecret"],
    );
    assert.match(problems[0], /^stack config: camundaAuth oidc \(embedded Camunda of checkout\) needs/);
    assert.match(problems[3], /pulumi config set --secret camunda-orchestrator:camundaOidcClientSecret/);
    checkSettingsFor(
      [remote],
      parseStackSettings(
        { camundaAuth: "oidc", kafkaStrimziNamespace: "kafka", saasClusterId: "c", saasRegion: "r", saasClientId: "i", saasClientSecret: "s" },
        new Set(["saasClientSecret"]),
      ),
    );
  });

  it("needs bootstrap servers for an external Kafka unless a platform stack gives them", () => {
    const external = parseStackSettings({ kafkaMode: "external" }, none);
    assert.match(
      problemsOf(() => checkSettingsFor([embedded], external))[0],
      /kafkaMode external .* needs stack config camunda-orchestrator:kafkaBootstrapServers/,
    );
    checkSettingsFor([embedded], parseStackSettings({ kafkaMode: "external", platformStackTemplate: "acme/{platform}/prod" }, none));
  });

  it("needs the server and its admin password for an external PostgreSQL, and a URL for an external Redis", () => {
    const problems = problemsOf(() =>
      checkSettingsFor([embedded], parseStackSettings({ postgresMode: "external", redisMode: "external", kafkaStrimziNamespace: "kafka" }, none)),
    );
    assert.deepEqual(
      problems.map((p) => /camunda-orchestrator:(\w+);/.exec(p)?.[1]),
      ["postgresHost", "postgresAdminPassword", "redisUrl"],
    );
  });

  it("needs both halves of the Kafka SASL credentials", () => {
    const problems = problemsOf(() => checkSettingsFor([embedded], parseStackSettings({ kafkaSaslUsername: "u", kafkaStrimziNamespace: "kafka" }, none)));
    assert.match(problems[0], /needs stack config camunda-orchestrator:kafkaSaslPassword; set it with `pulumi config set --secret/);
  });
});
