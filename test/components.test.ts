import * as pulumi from "@pulumi/pulumi";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  CamundaOrchestrator,
  ComponentPropertiesInput,
  DiscoveryRbac,
  EventTopics,
  IstioGateway,
  Monitoring,
  RedisCache,
  SagaDatabase,
  WorkerService,
  WorkflowModels,
  Zeebe,
} from "../components";
import { REDACTED } from "../render/types";
import { at, isSecretAt, ofType, runProgram, single } from "./support/mock-program";
import { problemsOf } from "./support/validation";

const jwt = {
  issuer: "https://idp.example.com/realms/apps",
  jwksUri: "https://idp.example.com/realms/apps/protocol/openid-connect/certs",
  audiences: ["orders-api"],
};

const K = {
  secret: "kubernetes:core/v1:Secret",
  service: "kubernetes:core/v1:Service",
  configMap: "kubernetes:core/v1:ConfigMap",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
  roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  clusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  deployment: "kubernetes:apps/v1:Deployment",
  release: "kubernetes:helm.sh/v3:Release",
  knative: "kubernetes:serving.knative.dev/v1:Service",
  kafkaTopic: "kubernetes:kafka.strimzi.io/v1:KafkaTopic",
  gateway: "kubernetes:networking.istio.io/v1:Gateway",
  virtualService: "kubernetes:networking.istio.io/v1:VirtualService",
  serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
};

describe("Zeebe", () => {
  it("embedded: a camunda-platform Helm release and in-cluster gateway addresses", async () => {
    const run = await runProgram(() => {
      const zeebe = new Zeebe("shop-zeebe", {
        component: "shop",
        namespace: "ns",
        mode: "embedded",
        chart: { version: "13.12.7", repository: "https://helm.camunda.io", sizing: { clusterSize: 3, partitionCount: 3, replicationFactor: 3 } },
      });
      return { grpc: zeebe.grpcAddress, credentials: zeebe.credentialsSecretName };
    });
    const release = single(run.resources, K.release);
    assert.equal(release.parent, "shop-zeebe");
    assert.equal(at(release, "chart"), "camunda-platform");
    assert.equal(at(release, "name"), "shop-camunda");
    assert.equal(at(release, "repositoryOpts.repo"), "https://helm.camunda.io");
    assert.equal(at(release, "values.orchestration.clusterSize"), "3");
    assert.equal(run.outputs.grpc, "grpc://shop-camunda-zeebe-gateway.ns.svc.cluster.local:26500");
    assert.equal(run.outputs.credentials, "shop-zeebe-credentials", "the worker's Basic credentials (see camunda-chart.test.ts)");
  });

  it("remote: a Secret with the SaaS credentials, redacted, and SaaS addresses", async () => {
    const run = await runProgram(() => {
      const zeebe = new Zeebe("pay-zeebe", {
        component: "pay",
        namespace: "ns",
        mode: "remote",
        saas: { clusterId: "c1", region: "bru-2", clientId: "id", clientSecret: "very-secret" },
      });
      return { grpc: zeebe.grpcAddress, credentials: zeebe.credentialsSecretName };
    });
    assert.equal(ofType(run.resources, K.release).length, 0);
    const secret = single(run.resources, K.secret);
    assert.equal(at(secret, "metadata.name"), "pay-zeebe-credentials");
    assert.deepEqual(Object.keys(at(secret, "stringData")).sort(), ["ZEEBE_CLIENT_ID", "ZEEBE_CLIENT_SECRET"]);
    assert.ok(isSecretAt(secret, "stringData.ZEEBE_CLIENT_SECRET"), "registered secret");
    assert.equal(run.outputs.grpc, "grpcs://c1.bru-2.zeebe.camunda.io:443");
    assert.equal(run.outputs.credentials, "pay-zeebe-credentials");
  });
});

describe("SagaDatabase", () => {
  it("external: a least-privileged role, its database and a grant, through a PostgreSQL provider", async () => {
    const run = await runProgram(() => {
      const db = new SagaDatabase("shop-database", {
        component: "shop",
        namespace: "ns",
        mode: "external",
        external: { host: "pg.example", port: 5432, adminUser: "admin", adminPassword: "admin-pw", sslMode: "require" },
      });
      return { secret: db.secretName, host: db.host };
    });
    const role = single(run.resources, "postgresql:index/role:Role");
    assert.deepEqual(
      { ...role.inputs },
      { name: "shop_worker", login: true, password: REDACTED, superuser: false, createRole: false, createDatabase: false, replication: false, inherit: true },
    );
    assert.ok(isSecretAt(role, "password"), "the role's password is registered secret");
    assert.deepEqual(single(run.resources, "postgresql:index/database:Database").inputs, { name: "shop", owner: "shop_worker" });
    const grant = single(run.resources, "postgresql:index/grant:Grant");
    assert.deepEqual(at(grant, "privileges"), ["CONNECT", "TEMPORARY"]);
    assert.ok(isSecretAt(single(run.resources, "pulumi:providers:postgresql"), "password"));
    assert.deepEqual(Object.keys(at(single(run.resources, K.secret), "stringData")), ["DATABASE_URL"]);
    assert.ok(isSecretAt(single(run.resources, K.secret), "stringData.DATABASE_URL"));
    assert.equal(ofType(run.resources, K.statefulSet).length, 0);
    assert.deepEqual(run.outputs, { secret: "shop-database", host: "pg.example" });
  });

  it("in-cluster: a PostgreSQL StatefulSet whose password comes from a Secret", async () => {
    const run = await runProgram(() => ({ secret: new SagaDatabase("shop-database", { component: "shop", namespace: "ns", mode: "in-cluster" }).secretName }));
    const statefulSet = single(run.resources, K.statefulSet);
    const env = at(statefulSet, "spec.template.spec.containers.0.env") as Array<{ name: string; value?: string; valueFrom?: unknown }>;
    assert.ok(env.find((e) => e.name === "POSTGRES_PASSWORD")?.valueFrom, "password by secretKeyRef");
    assert.ok(!env.some((e) => e.value !== undefined && /password/i.test(e.name)));
    assert.equal(ofType(run.resources, "postgresql:index/role:Role").length, 0);
    assert.equal(ofType(run.resources, K.secret).length, 2);
    assert.equal(run.outputs.secret, "shop-database");
  });
});

describe("RedisCache", () => {
  it("in-cluster: a Redis Deployment with a generated password", async () => {
    const run = await runProgram(() => ({ secret: new RedisCache("shop-redis", { component: "shop", namespace: "ns", mode: "in-cluster" }).secretName }));
    const deployment = single(run.resources, K.deployment);
    assert.match(at(deployment, "spec.template.spec.containers.0.image"), /^redis:\d+\.\d+\.\d+-alpine$/);
    assert.deepEqual(Object.keys(at(single(run.resources, K.secret), "stringData")), ["REDIS_PASSWORD", "REDIS_URL"]);
    assert.ok(isSecretAt(single(run.resources, K.secret), "stringData.REDIS_URL"));
    assert.equal(single(run.resources, "random:index/randomPassword:RandomPassword").parent, "shop-redis");
  });

  it("external: only a Secret with the given URL", async () => {
    const run = await runProgram(() => ({
      secret: new RedisCache("shop-redis", { component: "shop", namespace: "ns", mode: "external", url: "rediss://:pw@r:6380" }).secretName,
    }));
    assert.equal(ofType(run.resources, K.deployment).length, 0);
    assert.deepEqual(Object.keys(at(single(run.resources, K.secret), "stringData")), ["REDIS_URL"]);
    assert.ok(isSecretAt(single(run.resources, K.secret), "stringData.REDIS_URL"));
  });
});

describe("EventTopics", () => {
  const settings = { partitions: 3, replicationFactor: 3, minInsyncReplicas: 2, retentionMs: 1000, deadLetterRetentionMs: 9000 };

  it("strimzi: seven KafkaTopics labelled with their cluster", async () => {
    const run = await runProgram(() => ({
      names: new EventTopics("shop-topics", {
        component: "shop",
        prefix: "shop",
        settings,
        mode: "strimzi",
        strimzi: { cluster: "events", namespace: "kafka" },
      }).names,
    }));
    const topics = ofType(run.resources, K.kafkaTopic);
    assert.equal(topics.length, 7);
    for (const topic of topics) {
      assert.equal((at(topic, "metadata.labels") as Record<string, string>)["strimzi.io/cluster"], "events");
      assert.equal(at(topic, "metadata.namespace"), "kafka");
      assert.equal(at(topic, "spec.replicas"), 3);
    }
    const deadLetter = topics.find((t) => at(t, "spec.topicName") === "shop.dead-letter")!;
    assert.equal((at(deadLetter, "spec.config") as Record<string, unknown>)["retention.ms"], 9000);
    assert.equal(ofType(run.resources, "kafka:index/topic:Topic").length, 0);
  });

  it("strimzi: v1 by default (Strimzi 1.0 removed v1beta2), v1beta2 for clusters older than 0.49 on request", async () => {
    const run = await runProgram(() => {
      new EventTopics("old-topics", {
        component: "shop",
        prefix: "shop",
        settings,
        mode: "strimzi",
        strimzi: { cluster: "events", namespace: "kafka", apiVersion: "v1beta2" },
      });
      return {};
    });
    const topics = ofType(run.resources, "kubernetes:kafka.strimzi.io/v1beta2:KafkaTopic");
    assert.equal(topics.length, 7);
    for (const topic of topics) assert.equal(at(topic, "apiVersion"), "kafka.strimzi.io/v1beta2");
    // Switching versions updates the same topics: each carries the other version's type as an alias.
    for (const topic of topics)
      assert.deepEqual(
        topic.aliases?.map((alias) => alias.type),
        ["kubernetes:kafka.strimzi.io/v1:KafkaTopic"],
      );
  });

  it("external: seven topics through a Kafka provider with TLS and a secret SASL password", async () => {
    const run = await runProgram(() => ({
      names: new EventTopics("shop-topics", {
        component: "shop",
        prefix: "shop.prod",
        settings,
        mode: "external",
        external: { bootstrapServers: "a:9093,b:9093", tls: true, sasl: { mechanism: "scram-sha512", username: "u", password: "p4ss" } },
      }).names,
    }));
    const topics = ofType(run.resources, "kafka:index/topic:Topic");
    assert.deepEqual(topics.map((t) => at(t, "name")).sort(), Object.values(run.outputs.names as Record<string, string>).sort());
    for (const topic of topics) assert.equal(at(topic, "replicationFactor"), 3);
    const provider = single(run.resources, "pulumi:providers:kafka");
    assert.equal(at(provider, "tlsEnabled"), "true");
    assert.ok(isSecretAt(provider, "saslPassword"), "the provider's SASL password is registered secret (the Kafka provider does not mark it itself)");
    assert.equal(ofType(run.resources, K.kafkaTopic).length, 0);
  });
});

describe("DiscoveryRbac", () => {
  const rulesOf = (r: { inputs: Record<string, unknown> }) => r.inputs.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;

  it("grants get/list/watch on services and endpointslices in its own namespace, nothing else", async () => {
    const run = await runProgram(() => ({
      sa: new DiscoveryRbac("shop-discovery", { component: "shop", namespace: "ns", watchNamespaces: [] }).serviceAccountName,
    }));
    const role = single(run.resources, K.role);
    assert.deepEqual(rulesOf(role), [
      { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
    ]);
    const binding = single(run.resources, K.roleBinding);
    assert.deepEqual(at(binding, "subjects"), [{ kind: "ServiceAccount", name: "shop-worker", namespace: "ns" }]);
    assert.equal(ofType(run.resources, K.clusterRole).length, 0);
    assert.equal(run.outputs.sa, "shop-worker");
  });

  it("one Role per watched namespace, a ClusterRole only for all namespaces", async () => {
    const listed = await runProgram(() => {
      new DiscoveryRbac("d", { component: "shop", namespace: "ns", watchNamespaces: ["a", "b"] });
      return {};
    });
    assert.deepEqual(
      ofType(listed.resources, K.role).map((r) => at(r, "metadata.namespace")),
      ["a", "b"],
    );
    const all = await runProgram(() => {
      new DiscoveryRbac("d", { component: "shop", namespace: "ns", watchNamespaces: ["*"] });
      return {};
    });
    assert.equal(ofType(all.resources, K.role).length, 0);
    assert.equal(single(all.resources, K.clusterRoleBinding).inputs.roleRef && at(single(all.resources, K.clusterRoleBinding), "roleRef.kind"), "ClusterRole");
  });
});

describe("WorkflowModels", () => {
  it("names the ConfigMap after its content, so a changed model is a new ConfigMap", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bpmn-"));
    try {
      fs.writeFileSync(path.join(dir, "a.bpmn"), "<definitions/>");
      fs.writeFileSync(path.join(dir, "notes.txt"), "ignored");
      const first = await runProgram(() => ({
        name: new WorkflowModels("shop-workflows", { component: "shop", namespace: "ns", directory: dir }).configMapName,
      }));
      const configMap = single(first.resources, K.configMap);
      assert.deepEqual(Object.keys(at(configMap, "data")), ["a.bpmn"]);
      assert.equal(at(configMap, "immutable"), true);
      fs.writeFileSync(path.join(dir, "a.bpmn"), "<definitions id='changed'/>");
      const second = await runProgram(() => ({
        name: new WorkflowModels("shop-workflows", { component: "shop", namespace: "ns", directory: dir }).configMapName,
      }));
      assert.match(String(first.outputs.name), /^shop-workflows-[0-9a-f]{10}$/);
      assert.notEqual(first.outputs.name, second.outputs.name);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it("ships the worker's bundled templates by default", async () => {
    const run = await runProgram(() => {
      new WorkflowModels("w", { component: "shop", namespace: "ns" });
      return {};
    });
    const files = Object.keys(at(single(run.resources, K.configMap), "data"));
    assert.ok(files.includes("parallel-orchestration.bpmn") && files.includes("compensation-saga.bpmn"), files.join(", "));
  });

  it("refuses a directory without models", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bpmn-"));
    assert.throws(() => new WorkflowModels("w", { component: "shop", namespace: "ns", directory: dir }), /holds no \.bpmn files/);
    fs.rmSync(dir, { recursive: true });
  });
});

describe("WorkerService, IstioGateway and Monitoring", () => {
  it("the worker is a cluster-local Knative Service", async () => {
    const run = await runProgram(() => ({
      url: new WorkerService("shop-worker", {
        component: "shop",
        namespace: "ns",
        image: "w:1.0.0",
        serviceAccountName: "shop-worker",
        env: [],
        resources: { cpu: "1", memory: "1Gi" },
        workflowsConfigMap: "shop-workflows-abc",
        autoscaling: { minScale: 1, maxScale: 3, cpuTargetPercent: 70 },
      }).url,
    }));
    const service = single(run.resources, K.knative);
    assert.equal((at(service, "metadata.labels") as Record<string, string>)["networking.knative.dev/visibility"], "cluster-local");
    assert.equal(at(service, "spec.template.spec.volumes.0.configMap.name"), "shop-workflows-abc");
    assert.equal(run.outputs.url, "http://shop-worker.ns.svc.cluster.local");
  });

  it("the gateway serves HTTPS with the credential and only redirects plain HTTP", async () => {
    const run = await runProgram(() => ({
      url: new IstioGateway("shop-ingress", {
        component: "shop",
        namespace: "ns",
        host: "shop.example.com",
        tlsCredentialName: "shop-tls",
        workerServiceName: "shop-worker",
        jwt,
      }).url,
    }));
    const servers = at(single(run.resources, K.gateway), "spec.servers") as Array<{ port: { protocol: string }; tls: Record<string, unknown> }>;
    assert.deepEqual(
      servers.map((s) => [s.port.protocol, s.tls]),
      [
        ["HTTPS", { mode: "SIMPLE", credentialName: "shop-tls" }],
        ["HTTP", { httpsRedirect: true }],
      ],
    );
    const virtualService = single(run.resources, K.virtualService);
    assert.equal(at(virtualService, "spec.http.0.rewrite.authority"), "shop-worker.ns.svc.cluster.local");
    assert.equal(at(virtualService, "spec.http.0.route.0.destination.host"), "knative-local-gateway.istio-system.svc.cluster.local");
    assert.deepEqual(at(virtualService, "spec.gateways"), ["ns/shop-gateway"]);
    assert.equal(run.outputs.url, "https://shop.example.com");
  });

  it("routes only the public API, never the ops endpoints, and only for bearers of the issuer's JWT", async () => {
    const run = await runProgram(() => {
      new IstioGateway("shop-ingress", {
        component: "shop",
        namespace: "ns",
        host: "shop.example.com",
        tlsCredentialName: "shop-tls",
        workerServiceName: "shop-worker",
        jwt,
      });
      return {};
    });
    const routes = at(single(run.resources, K.virtualService), "spec.http") as Array<{
      match?: Array<{ uri: Record<string, string>; method: Record<string, string> }>;
    }>;
    assert.equal(routes.length, 1);
    assert.deepEqual(routes[0].match, [
      { uri: { exact: "/api/v1/process-instances" }, method: { exact: "POST" } },
      { uri: { exact: "/api/v1/messages" }, method: { exact: "POST" } },
    ]);
    const authn = single(run.resources, "kubernetes:security.istio.io/v1:RequestAuthentication");
    assert.equal(at(authn, "metadata.namespace"), "istio-system");
    assert.equal(at(authn, "metadata.name"), "ns-shop-public-api");
    // Audiences are checked for this host only: in the RequestAuthentication they would apply to every host.
    assert.deepEqual(at(authn, "spec.jwtRules"), [{ issuer: jwt.issuer, jwksUri: jwt.jwksUri }]);
    const authz = single(run.resources, "kubernetes:security.istio.io/v1:AuthorizationPolicy");
    assert.equal(at(authz, "spec.action"), "DENY");
    assert.deepEqual(at(authz, "spec.rules"), [
      { from: [{ source: { notRequestPrincipals: [`${jwt.issuer}/*`] } }], to: [{ operation: { hosts: ["shop.example.com", "shop.example.com:*"] } }] },
      { to: [{ operation: { hosts: ["shop.example.com", "shop.example.com:*"] } }], when: [{ key: "request.auth.audiences", notValues: ["orders-api"] }] },
    ]);
  });

  it("monitoring scrapes the worker and alerts on compensations, dead letters and failures", async () => {
    const run = await runProgram(() => ({
      rules: new Monitoring("shop-monitoring", { component: "shop", namespace: "ns", workerServiceName: "shop-worker" }).alertRulesName,
    }));
    assert.equal(at(single(run.resources, K.serviceMonitor), "spec.endpoints.0.path"), "/metrics");
    const alerts = at(single(run.resources, K.prometheusRule), "spec.groups.0.rules") as Array<{ alert: string; expr: string }>;
    const names = alerts.map((a) => a.alert);
    for (const required of [
      "OrchestratorCompensationFailing",
      "OrchestratorCompensationSuccessLow",
      "OrchestratorDeadLetterGrowing",
      "OrchestratorJobFailureRateHigh",
      "OrchestratorDiscoveryWatchDown",
      "OrchestratorEventStreamingDisconnected",
    ]) {
      assert.ok(names.includes(required), `${required} in ${names.join(", ")}`);
    }
    for (const alert of alerts) assert.match(alert.expr, /serving_knative_dev_service="shop-worker"/);
  });
});

describe("CamundaOrchestrator", () => {
  it("composes every part under itself and exports what applications need", async () => {
    const run = await runProgram(() => {
      const o = new CamundaOrchestrator("checkout", {
        namespace: "shop",
        properties: { realtimePlatform: "shop-events", enableIstioGateway: true, gatewayHost: "checkout.example.com" },
        settings: { kafkaStrimziNamespace: "kafka", gatewayJwtIssuer: jwt.issuer, gatewayJwksUri: jwt.jwksUri },
      });
      return { zeebe: o.zeebeGatewayAddress, url: o.workerUrl, topics: o.topics, secrets: o.secretNames, namespace: o.namespace };
    });
    const components = run.resources.filter((r) => !r.custom);
    assert.deepEqual(components.map((c) => c.type).sort(), [
      "camunda-orchestrator:cache:RedisCache",
      "camunda-orchestrator:database:SagaDatabase",
      "camunda-orchestrator:discovery:DiscoveryRbac",
      "camunda-orchestrator:events:EventTopics",
      "camunda-orchestrator:index:CamundaOrchestrator",
      "camunda-orchestrator:ingress:IstioGateway",
      "camunda-orchestrator:monitoring:Monitoring",
      "camunda-orchestrator:worker:WorkerService",
      "camunda-orchestrator:workflows:WorkflowModels",
      "camunda-orchestrator:zeebe:Zeebe",
    ]);
    for (const resource of run.resources) {
      if (resource.name !== "checkout") assert.ok(resource.name.startsWith("checkout-"), `${resource.name} starts with its orchestrator's name`);
      if (resource.type !== "camunda-orchestrator:index:CamundaOrchestrator") assert.ok(resource.parent, `${resource.name} has a parent`);
    }
    assert.equal(run.outputs.zeebe, "grpc://checkout-camunda-zeebe-gateway.shop.svc.cluster.local:26500");
    assert.equal(run.outputs.url, "https://checkout.example.com");
    assert.equal((run.outputs.topics as Record<string, string>).deadLetter, "checkout.dead-letter");
    assert.deepEqual(run.outputs.secrets, { database: "checkout-database", redis: "checkout-redis", zeebeCredentials: "checkout-zeebe-credentials" });
    const orchestrator = single(run.resources, "camunda-orchestrator:index:CamundaOrchestrator");
    assert.equal(at(orchestrator, "eventBus"), "kafka");
    assert.equal(at(orchestrator, "monitoring"), true);
  });

  it("remote with SASL Kafka: credentials reach the worker only by reference", async () => {
    const run = await runProgram(() => {
      const o = new CamundaOrchestrator("payments", {
        namespace: "pay",
        properties: { realtimePlatform: "pay-events", camundaMode: "remote" },
        settings: {
          saasClusterId: "c1",
          saasRegion: "bru-2",
          saasClientId: "client",
          saasClientSecret: "saas-secret-value",
          kafkaMode: "external",
          kafkaBootstrapServers: "k:9093",
          kafkaSaslUsername: "user",
          kafkaSaslPassword: "sasl-secret-value",
          monitoring: false,
        },
      });
      return { secrets: o.secretNames };
    });
    assert.deepEqual(run.outputs.secrets, {
      database: "payments-database",
      redis: "payments-redis",
      zeebeCredentials: "payments-zeebe-credentials",
      kafkaCredentials: "payments-kafka-credentials",
    });
    const env = at(single(run.resources, K.knative), "spec.template.spec.containers.0.env") as Array<{
      name: string;
      value?: unknown;
      valueFrom?: { secretKeyRef: { name: string } };
    }>;
    assert.equal(env.find((e) => e.name === "ZEEBE_CLIENT_SECRET")?.valueFrom?.secretKeyRef.name, "payments-zeebe-credentials");
    assert.equal(env.find((e) => e.name === "KAFKA_SASL_PASSWORD")?.valueFrom?.secretKeyRef.name, "payments-kafka-credentials");
    assert.equal(ofType(run.resources, K.prometheusRule).length, 0, "monitoring off");
    assert.ok(!JSON.stringify(run.resources).includes("saas-secret-value") && !JSON.stringify(run.resources).includes("sasl-secret-value"));
  });

  it("Redis Streams: no Kafka topics at all", async () => {
    const run = await runProgram(() => {
      new CamundaOrchestrator("c", { namespace: "n", properties: { realtimePlatform: "p" }, settings: { eventBus: "redis-streams" } });
      return {};
    });
    assert.equal(ofType(run.resources, K.kafkaTopic).length + ofType(run.resources, "kafka:index/topic:Topic").length, 0);
  });

  it("raises invalid input as a pulumi.ResourceError on the component it concerns", () => {
    const untyped = { realtimePlatform: "p", camundaMode: "cloud" } as unknown as ComponentPropertiesInput;
    assert.throws(
      () => new CamundaOrchestrator("c", { namespace: "n", properties: untyped }),
      (error: Error) => error instanceof pulumi.ResourceError && /component "c": properties\.camundaMode/.test(error.message),
    );
    assert.throws(
      () => new Zeebe("z", { component: "c", namespace: "n", mode: "embedded" }),
      (error: Error) => error instanceof pulumi.ResourceError && /embedded mode needs the chart/.test(error.message),
    );
  });

  it("rejects invalid properties and missing SaaS credentials before creating anything", () => {
    // Typed callers cannot write this; properties read from YAML or JavaScript can.
    const untyped = { realtimePlatform: "p", camundaMode: "cloud" } as unknown as ComponentPropertiesInput;
    assert.match(problemsOf(() => new CamundaOrchestrator("c", { namespace: "n", properties: untyped }))[0], /^component "c": properties\.camundaMode/);
    const problems = problemsOf(() => new CamundaOrchestrator("c", { namespace: "n", properties: { realtimePlatform: "p", camundaMode: "remote" } }));
    assert.ok(problems.some((p) => /camunda-orchestrator:saasClientSecret; set it with `pulumi config set --secret/.test(p)));
  });
});
