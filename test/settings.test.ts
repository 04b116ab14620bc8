import { strict as assert } from "assert";
import { validateComponent } from "../components/properties";
import { checkSettingsFor, howToSet, parseStackSettings } from "../components/settings";
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

  it("has the defaults the README's configuration reference documents, every one", () => {
    assert.deepEqual(parseStackSettings({}, none), {
      allowNoOrchestrators: false,
      namespace: "camunda-orchestration",
      createNamespace: true,
      workerImage: "ghcr.io/camunda-orchestrator/worker:0.1.0",
      workerMinScale: 1,
      workerMaxScale: 10,
      workerCpuTarget: 70,
      discoveryNamespaces: [],
      eventBus: "kafka",
      kafkaMode: "strimzi",
      kafkaStrimziApiVersion: "v1",
      kafkaPartitions: 3,
      kafkaReplicationFactor: 1,
      topicRetentionMs: 7 * 24 * 3600 * 1000,
      deadLetterRetentionMs: 14 * 24 * 3600 * 1000,
      postgresMode: "in-cluster",
      postgresPort: 5432,
      postgresAdminUser: "postgres",
      postgresSslMode: "require",
      redisMode: "in-cluster",
      redisStorageSize: "1Gi",
      redisAppendOnly: false,
      monitoring: true,
      monitoringLabels: {},
      grafanaDashboard: true,
      grafanaDashboardLabel: "grafana_dashboard=1",
      alertThresholds: {},
      namespaceLabels: {},
      camundaChartVersion: "13.12.7",
      camundaChartRepository: "https://helm.camunda.io",
      camundaAuth: "basic",
      camundaOidcAudience: "orchestration-api",
      zeebeClusterSize: 1,
      zeebePartitionCount: 1,
      zeebeReplicationFactor: 1,
      istioIngressNamespace: "istio-system",
      gatewayJwtAudiences: [],
      gitopsTool: "flux",
      gitopsSecrets: "external-secrets",
      externalSecretStore: "camunda-orchestrator",
      externalSecretStoreKind: "ClusterSecretStore",
      argocdNamespace: "argocd",
      repositoryProvider: "none",
      repositoryVisibility: "private",
    });
  });

  it("accepts every value of each choice, and nothing else, naming the allowed values", () => {
    const choices: Record<string, string[]> = {
      eventBus: ["kafka", "redis-streams"],
      kafkaMode: ["strimzi", "external"],
      kafkaSaslMechanism: ["plain", "scram-sha256", "scram-sha512"],
      postgresSslMode: ["disable", "require", "verify-ca", "verify-full"],
      redisMode: ["in-cluster", "external"],
      camundaAuth: ["basic", "oidc", "none"],
      gitopsTool: ["flux", "argocd"],
      gitopsSecrets: ["external-secrets", "manual"],
      externalSecretStoreKind: ["ClusterSecretStore", "SecretStore"],
      repositoryVisibility: ["private", "internal", "public"],
    };
    for (const [key, values] of Object.entries(choices)) {
      for (const value of values) assert.equal((parseStackSettings({ [key]: value }, none) as Record<string, unknown>)[key], value, `${key}: ${value}`);
      const problems = problemsOf(() => parseStackSettings({ [key]: "other" }, none));
      assert.ok(
        problems.some((p) => p.includes(`${key}:`) && values.every((v) => p.includes(v))),
        `${key}: ${problems.join("\n")}`,
      );
    }
    assert.equal(parseStackSettings({ repositoryProvider: "none" }, none).repositoryProvider, "none");
  });

  it("takes names, users and ids of any length but never empty ones", () => {
    const keys = [
      "kafkaSaslUsername",
      "postgresHost",
      "postgresAdminUser",
      "camundaOidcClientId",
      "camundaOidcAudience",
      "istioTlsCredentialName",
      "saasClusterId",
      "saasClientId",
    ];
    const secrets = ["kafkaSaslPassword", "postgresAdminPassword", "camundaOidcClientSecret", "githubToken"];
    for (const key of [...keys, ...secrets]) {
      const secret = new Set(secrets.includes(key) ? [key] : []);
      assert.equal((parseStackSettings({ [key]: "a-longer-value" }, secret) as Record<string, unknown>)[key], "a-longer-value", key);
      assert.ok(
        problemsOf(() => parseStackSettings({ [key]: "" }, secret)).some((p) => p.includes(`${key}:`)),
        `${key}: empty`,
      );
    }
  });

  it("checks the shape of servers, URLs, owners, label keys and namespace lists", () => {
    const ok: Array<[string, string]> = [
      ["kafkaBootstrapServers", "kafka-0.kafka:9092,kafka-1.kafka:9093"],
      ["redisUrl", "rediss://cache:6380"],
      ["redisUrl", "redis://cache:6379"],
      ["camundaOidcIssuerUrl", "http://keycloak/realms/camunda"],
      ["camundaOidcTokenUrl", "https://keycloak/token"],
      ["gatewayJwtIssuer", "https://issuer.example"],
      ["gatewayJwksUri", "https://issuer.example/jwks"],
      ["repositoryBaseUrl", "ssh://git@git.example/acme"],
      ["repositoryOwner", "acme-platform"],
      ["discoveryNamespaces", "shop,*"],
      ["namespaceLabels", JSON.stringify({ "pod-security.kubernetes.io/enforce": "baseline", a: "" })],
    ];
    const bad: Array<[string, string]> = [
      ["kafkaBootstrapServers", "kafka:9092 "],
      ["kafkaBootstrapServers", " kafka:9092"],
      ["kafkaBootstrapServers", "kafka:9092,"],
      ["kafkaBootstrapServers", "kafka"],
      ["kafkaBootstrapServers", "kafka broker:9092"],
      ["redisUrl", "xredis://cache"],
      ["redisUrl", "https://redis://cache"],
      ["camundaOidcIssuerUrl", "ftp://keycloak"],
      ["camundaOidcIssuerUrl", "xhttps://keycloak"],
      ["camundaOidcTokenUrl", "https-x://keycloak"],
      ["gatewayJwtIssuer", "ftp://issuer"],
      ["gatewayJwksUri", "file://jwks"],
      ["repositoryBaseUrl", "http://git.example/acme"],
      ["repositoryBaseUrl", "sshx://git.example/acme"],
      ["repositoryOwner", "-acme"],
      ["repositoryOwner", "acme_platform"],
      ["repositoryOwner", "a".repeat(40)],
      ["discoveryNamespaces", "Shop"],
      ["discoveryNamespaces", "shop-"],
      ["discoveryNamespaces", "x shop"],
      ["namespaceLabels", JSON.stringify({ "-a": "x" })],
      ["namespaceLabels", JSON.stringify({ "a/": "x" })],
      ["namespaceLabels", JSON.stringify({ "Example.com/a": "x" })],
      ["namespaceLabels", JSON.stringify({ a: "-x" })],
      ["namespaceLabels", JSON.stringify({ a: "x".repeat(64) })],
      ["namespaceLabels", "{not json"],
    ];
    const secret = (key: string) => new Set(key === "redisUrl" ? [key] : []);
    for (const [key, value] of ok) assert.doesNotThrow(() => parseStackSettings({ [key]: value }, secret(key)), `${key}: ${value}`);
    for (const [key, value] of bad) {
      assert.ok(
        problemsOf(() => parseStackSettings({ [key]: value }, secret(key))).some((p) => p.includes(`${key}`)),
        `${key}: ${value} accepted`,
      );
    }
    assert.deepEqual(parseStackSettings({ discoveryNamespaces: " shop , ,payments" }, none).discoveryNamespaces, ["shop", "payments"]);
    assert.deepEqual(parseStackSettings({ gatewayJwtAudiences: " a , ,b" }, none).gatewayJwtAudiences, ["a", "b"]);
    assert.match(problemsOf(() => parseStackSettings({ namespaceLabels: "{not json" }, none))[0], /namespaceLabels: must be valid JSON/);
  });

  it("takes equal bounds: min scale at max scale, min.insync.replicas at the replication factor, replicas at the cluster size", () => {
    const s = parseStackSettings(
      {
        workerMinScale: "3",
        workerMaxScale: "3",
        kafkaReplicationFactor: "2",
        kafkaMinInsyncReplicas: "2",
        zeebeClusterSize: "3",
        zeebeReplicationFactor: "3",
      },
      none,
    );
    assert.deepEqual([s.workerMinScale, s.kafkaMinInsyncReplicas, s.zeebeReplicationFactor], [3, 2, 3]);
  });

  it("needs an owner and a token with repositoryProvider github", () => {
    const problems = problemsOf(() => parseStackSettings({ repositoryProvider: "github" }, none));
    assert.deepEqual(problems.length, 2, problems.join("\n"));
    assert.match(problems.find((p) => p.includes("repositoryOwner")) ?? "", /repositoryOwner: is required with repositoryProvider github/);
    assert.match(
      problems.find((p) => p.includes("githubToken")) ?? "",
      /githubToken: is required with repositoryProvider github; set it with `pulumi config set --secret/,
    );
    const withToken = new Set(["githubToken"]);
    assert.doesNotThrow(() => parseStackSettings({ repositoryProvider: "github", repositoryOwner: "acme", githubToken: "t" }, withToken));
    assert.deepEqual(problemsOf(() => parseStackSettings({ repositoryProvider: "github", githubToken: "t" }, withToken)).length, 1);
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
    [
      "a Zeebe replication factor above the cluster size",
      { zeebeClusterSize: "3", zeebeReplicationFactor: "4" },
      /zeebeReplicationFactor: must not exceed zeebeClusterSize \(3\)/,
    ],
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

  it("needs a JWT issuer and its keys for a component behind the Istio gateway, naming the component", () => {
    const exposed = validateComponent("shop", { realtimePlatform: "p", enableIstioGateway: true, gatewayHost: "shop.example.com" });
    const settings = parseStackSettings({ kafkaStrimziNamespace: "kafka" }, none);
    const problems = problemsOf(() => checkSettingsFor([embedded, exposed], settings));
    assert.deepEqual(problems, [
      `stack config: enableIstioGateway (shop: the public API takes only callers with a JWT of this issuer) needs stack config camunda-orchestrator:gatewayJwtIssuer; ${howToSet("gatewayJwtIssuer", false)}`,
      `stack config: enableIstioGateway (shop: the public API takes only callers with a JWT of this issuer) needs stack config camunda-orchestrator:gatewayJwksUri; ${howToSet("gatewayJwksUri", false)}`,
    ]);
    const withJwt = parseStackSettings({ kafkaStrimziNamespace: "kafka", gatewayJwtIssuer: "https://i", gatewayJwksUri: "https://i/jwks" }, none);
    assert.doesNotThrow(() => checkSettingsFor([embedded, exposed], withJwt));
  });

  it("needs both halves of the Kafka SASL credentials", () => {
    const problems = problemsOf(() => checkSettingsFor([embedded], parseStackSettings({ kafkaSaslUsername: "u", kafkaStrimziNamespace: "kafka" }, none)));
    assert.match(problems[0], /needs stack config camunda-orchestrator:kafkaSaslPassword; set it with `pulumi config set --secret/);
    const passwordOnly = problemsOf(() =>
      checkSettingsFor([embedded], parseStackSettings({ kafkaSaslPassword: "p", kafkaStrimziNamespace: "kafka" }, new Set(["kafkaSaslPassword"]))),
    );
    assert.deepEqual(passwordOnly.length, 1, passwordOnly.join("\n"));
    assert.match(
      passwordOnly[0],
      /kafkaSaslPassword \(SASL authentication\) needs stack config camunda-orchestrator:kafkaSaslUsername; set it with `pulumi config set camunda-orchestrator:kafkaSaslUsername/,
    );
  });
});
