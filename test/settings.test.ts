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
    const settings = parseStackSettings({
      monitoring: "false", kafkaReplicationFactor: "3", kafkaMinInsyncReplicas: "2", discoveryNamespaces: "shop, payments",
      workerTraffic: JSON.stringify([{ revisionName: "w-00001", percent: 90, tag: "blue" }, { latestRevision: true, percent: 10, tag: "green" }]),
    }, none);
    assert.equal(settings.monitoring, false);
    assert.equal(settings.kafkaReplicationFactor, 3);
    assert.deepEqual(settings.discoveryNamespaces, ["shop", "payments"]);
    assert.equal(settings.workerTraffic?.length, 2);
  });

  const rejected: Array<[string, Record<string, string>, RegExp]> = [
    ["an unknown key", { kafkaReplicas: "3" }, /stack config: camunda-orchestrator: unknown property "kafkaReplicas"; allowed: .*kafkaReplicationFactor/],
    ["a bad boolean", { monitoring: "yes" }, /camunda-orchestrator:monitoring: /],
    ["a bad number", { kafkaPartitions: "many" }, /camunda-orchestrator:kafkaPartitions: /],
    ["an unknown mode", { postgresMode: "cloud" }, /camunda-orchestrator:postgresMode: must be one of in-cluster, external \(got "cloud"\)/],
    ["malformed bootstrap servers", { kafkaBootstrapServers: "kafka:abc" }, /kafkaBootstrapServers: must be host:port/],
    ["traffic not summing to 100", { workerTraffic: JSON.stringify([{ latestRevision: true, percent: 90 }]) }, /workerTraffic: percents must sum to 100, they sum to 90/],
    ["traffic with duplicate tags", { workerTraffic: JSON.stringify([{ revisionName: "a", percent: 50, tag: "x" }, { latestRevision: true, percent: 50, tag: "x" }]) }, /workerTraffic: tags must be unique/],
    ["a traffic entry naming both targets", { workerTraffic: JSON.stringify([{ revisionName: "a", latestRevision: true, percent: 100 }]) }, /exactly one of revisionName or latestRevision/],
    ["traffic that is not JSON", { workerTraffic: "[oops" }, /workerTraffic: must be valid JSON/],
    ["min scale above max scale", { workerMinScale: "5", workerMaxScale: "2" }, /workerMinScale: must not exceed workerMaxScale \(2\)/],
    ["min.insync.replicas above replication", { kafkaMinInsyncReplicas: "2" }, /kafkaMinInsyncReplicas: must not exceed kafkaReplicationFactor \(1\)/],
    ["a stack template without {platform}", { platformStackTemplate: "acme/platform/prod" }, /platformStackTemplate: must contain \{platform\}/],
    ["a redis URL of another scheme", { redisUrl: "http://redis" }, /redisUrl: must be a redis:\/\/ or rediss:\/\/ URL/],
  ];
  for (const [what, raw, expected] of rejected) {
    it(`rejects ${what}`, () => {
      const problems = problemsOf(() => parseStackSettings(raw, new Set(Object.keys(raw).filter((k) => k === "redisUrl"))));
      assert.ok(problems.some((p) => p.startsWith("stack config: ") && expected.test(p)), `got:\n${problems.join("\n")}`);
    });
  }

  it("rejects credentials stored in plain text, saying how to store them", () => {
    const problems = problemsOf(() => parseStackSettings({ saasClientSecret: "abc", postgresAdminPassword: "pw" }, none));
    assert.equal(problems.length, 2);
    assert.match(problems[0], /camunda-orchestrator:saasClientSecret: holds a credential but is stored in plain text; set it with `pulumi config set --secret camunda-orchestrator:saasClientSecret <value>` \(offline render: `--secret-env saasClientSecret=<VARIABLE>` or `--secret-file saasClientSecret=<file>`\)/);
    assert.doesNotThrow(() => parseStackSettings({ saasClientSecret: "abc" }, new Set(["saasClientSecret"])));
  });
});

describe("what orchestrators need from the stack", () => {
  const remote = validateComponent("payments", { realtimePlatform: "p", camundaMode: "remote" });
  const embedded = validateComponent("checkout", { realtimePlatform: "p" });

  it("asks a remote component for every SaaS key, the secret one as a secret", () => {
    const problems = problemsOf(() => checkSettingsFor([remote], parseStackSettings({}, none)));
    assert.deepEqual(problems.map((p) => /camunda-orchestrator:(\w+);/.exec(p)?.[1]), ["saasClusterId", "saasRegion", "saasClientId", "saasClientSecret"]);
    assert.match(problems[3], /^component "payments": camundaMode remote needs stack config camunda-orchestrator:saasClientSecret; set it with `pulumi config set --secret/);
  });

  it("needs nothing for an embedded component on the defaults", () => {
    checkSettingsFor([embedded], parseStackSettings({}, none));
  });

  it("needs bootstrap servers for an external Kafka unless a platform stack gives them", () => {
    const external = parseStackSettings({ kafkaMode: "external" }, none);
    assert.match(problemsOf(() => checkSettingsFor([embedded], external))[0], /kafkaMode external .* needs stack config camunda-orchestrator:kafkaBootstrapServers/);
    checkSettingsFor([embedded], parseStackSettings({ kafkaMode: "external", platformStackTemplate: "acme/{platform}/prod" }, none));
  });

  it("needs the server and its admin password for an external PostgreSQL, and a URL for an external Redis", () => {
    const problems = problemsOf(() => checkSettingsFor([embedded], parseStackSettings({ postgresMode: "external", redisMode: "external" }, none)));
    assert.deepEqual(problems.map((p) => /camunda-orchestrator:(\w+);/.exec(p)?.[1]), ["postgresHost", "postgresAdminPassword", "redisUrl"]);
  });

  it("needs both halves of the Kafka SASL credentials", () => {
    const problems = problemsOf(() => checkSettingsFor([embedded], parseStackSettings({ kafkaSaslUsername: "u" }, none)));
    assert.match(problems[0], /needs stack config camunda-orchestrator:kafkaSaslPassword; set it with `pulumi config set --secret/);
  });
});
