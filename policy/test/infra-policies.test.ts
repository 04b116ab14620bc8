import assert from "assert";
import { deadLetterRetention } from "../policies/dead-letter-retention";
import { discoveryRbacLeastPrivilege } from "../policies/discovery-rbac-least-privilege";
import { istioGatewayHttps } from "../policies/istio-gateway-https";
import { kafkaTopicDurability } from "../policies/kafka-topic-durability";
import { postgresqlRoleLeastPrivilege } from "../policies/postgresql-role-least-privilege";
import { messages, resource } from "./support";

const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const discoveryRules = [
  { apiGroups: [""], resources: ["services", "endpoints"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
];

describe("discovery-rbac-least-privilege", () => {
  it("passes read-only discovery rules and a binding to them", async () => {
    const binding = resource("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "b", { roleRef: { kind: "Role", name: "discovery" } });
    assert.deepStrictEqual(await messages(discoveryRbacLeastPrivilege, [resource(ROLE, "r", { rules: discoveryRules }), binding]), []);
  });

  it("reports wildcards and write verbs, rule by rule", async () => {
    const rules = [...discoveryRules, { apiGroups: ["*"], resources: ["pods/*"], verbs: ["get", "delete", "*"] }];
    const found = await messages(discoveryRbacLeastPrivilege, [resource("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "r", { rules })]);
    assert.strictEqual(found.length, 1);
    assert.match(found[0], /^ClusterRole rule 2: .*wildcard in verbs.*wildcard in resources.*wildcard in apiGroups.*verbs beyond get\/list\/watch: delete/);
  });

  it("reports a binding to cluster-admin, and honours allowedVerbs from config", async () => {
    const binding = resource("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "b", { roleRef: { kind: "ClusterRole", name: "cluster-admin" } });
    assert.match((await messages(discoveryRbacLeastPrivilege, [binding]))[0], /cluster-admin/);
    const role = resource(ROLE, "r", { rules: [{ apiGroups: [""], resources: ["services"], verbs: ["get"] }] });
    const found = await messages(discoveryRbacLeastPrivilege, [role], { "discovery-rbac-least-privilege": { allowedVerbs: ["list"] } });
    assert.match(found[0], /verbs beyond list: get/);
  });
});

describe("istio-gateway-https", () => {
  const gateway = (servers: unknown[]) =>
    resource("kubernetes:networking.istio.io/v1:Gateway", "gw", { spec: { selector: { istio: "ingressgateway" }, servers } });
  const https = {
    port: { number: 443, name: "https", protocol: "HTTPS" },
    hosts: ["orders.example.com"],
    tls: { mode: "SIMPLE", credentialName: "orders-tls" },
  };

  it("passes HTTPS with a credentialName plus an HTTP redirect", async () => {
    const redirect = { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["orders.example.com"], tls: { httpsRedirect: true } };
    assert.deepStrictEqual(await messages(istioGatewayHttps, [gateway([https, redirect])]), []);
  });

  it("reports plain HTTP, HTTPS without a credential, and a gateway without HTTPS", async () => {
    const plain = { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] };
    const noCred = { ...https, tls: { mode: "SIMPLE" } };
    const found = await messages(istioGatewayHttps, [gateway([plain, noCred])]);
    assert.deepStrictEqual(found, ["Gateway server 0: plain HTTP that is not an httpsRedirect.", "Gateway server 1: HTTPS without tls.credentialName."]);
    assert.deepStrictEqual(await messages(istioGatewayHttps, [gateway([plain])]), [
      "Gateway server 0: plain HTTP that is not an httpsRedirect.",
      "Gateway has no HTTPS server.",
    ]);
  });
});

describe("kafka-topic-durability", () => {
  const kafka = (stack: string, replicationFactor: number, isr?: string) =>
    resource(
      "kafka:index/topic:Topic",
      "t",
      { name: "shop.workflow-events", partitions: 6, replicationFactor, config: isr ? { "min.insync.replicas": isr } : {} },
      { stack },
    );
  const strimzi = (stack: string, replicas: number, isr: number) =>
    resource(
      "kubernetes:kafka.strimzi.io/v1beta2:KafkaTopic",
      "t",
      {
        metadata: { name: "shop.triggers", labels: { "strimzi.io/cluster": "events" } },
        spec: { topicName: "shop.triggers", partitions: 3, replicas, config: { "min.insync.replicas": isr } },
      },
      { stack },
    );

  it("passes durable topics in prod, in both shapes", async () => {
    assert.deepStrictEqual(await messages(kafkaTopicDurability, [kafka("prod", 3, "2"), strimzi("prod", 3, 2)]), []);
  });

  it("reports weak topics in prod, in both shapes", async () => {
    const found = await messages(kafkaTopicDurability, [kafka("prod", 1), strimzi("prod", 2, 1)]);
    assert.deepStrictEqual(found, [
      'Topic "shop.workflow-events" has replication factor 1; production needs at least 3.',
      'Topic "shop.workflow-events" has min.insync.replicas unset; production needs at least 2.',
      'Topic "shop.triggers" has replication factor 2; production needs at least 3.',
      'Topic "shop.triggers" has min.insync.replicas 1; production needs at least 2.',
    ]);
  });

  it("does not apply outside production stacks, which config can name", async () => {
    assert.deepStrictEqual(await messages(kafkaTopicDurability, [kafka("dev", 1)]), []);
    const cfg = { "kafka-topic-durability": { productionStacks: ["dev"] } };
    assert.strictEqual((await messages(kafkaTopicDurability, [kafka("dev", 1)], cfg)).length, 2);
  });
});

describe("dead-letter-retention", () => {
  const dlq = (retention?: string) =>
    resource("kafka:index/topic:Topic", "dl", {
      name: "shop.dead-letter",
      partitions: 1,
      replicationFactor: 3,
      config: retention ? { "retention.ms": retention } : {},
    });

  it("passes 7 days, 14 days and infinite retention", async () => {
    for (const r of ["604800000", "1209600000", "-1"]) assert.deepStrictEqual(await messages(deadLetterRetention, [dlq(r)]), [], r);
  });

  it("reports short or unset retention, against the configured minimum", async () => {
    assert.match((await messages(deadLetterRetention, [dlq("86400000")]))[0], /retention.ms 86400000; it needs at least 604800000/);
    assert.match((await messages(deadLetterRetention, [dlq()]))[0], /unset/);
    const cfg = { "dead-letter-retention": { minDeadLetterRetentionMs: 30 * 86400000 } };
    assert.strictEqual((await messages(deadLetterRetention, [dlq("1209600000")], cfg)).length, 1);
  });

  it("ignores other topics and reads Strimzi numbers", async () => {
    const other = resource("kafka:index/topic:Topic", "t", { name: "shop.triggers", config: { "retention.ms": "1000" } });
    const strimzi = resource("kubernetes:kafka.strimzi.io/v1beta2:KafkaTopic", "dl", {
      metadata: { name: "shop.dead-letter" },
      spec: { config: { "retention.ms": 3600000 } },
    });
    assert.deepStrictEqual(await messages(deadLetterRetention, [other]), []);
    assert.strictEqual((await messages(deadLetterRetention, [strimzi])).length, 1);
  });
});

describe("postgresql-role-least-privilege", () => {
  it("passes a login role without extra attributes", async () => {
    const role = resource("postgresql:index/role:Role", "r", { name: "checkout", login: true, password: "[secret]", superuser: false });
    assert.deepStrictEqual(await messages(postgresqlRoleLeastPrivilege, [role]), []);
  });

  it("reports superuser, createRole and createDatabase", async () => {
    const role = resource("postgresql:index/role:Role", "r", { name: "checkout", login: true, superuser: true, createRole: true, createDatabase: true });
    assert.deepStrictEqual(await messages(postgresqlRoleLeastPrivilege, [role]), [
      'Role "checkout" has superuser, createRole, createDatabase; set them to false.',
    ]);
  });
});
