import { strict as assert } from "assert";
import { CamundaOrchestrator, Zeebe } from "../components";
import { camundaHelmValues, ChartAuth } from "../components/helm-values";
import { chartComponentFullname, embeddedZeebeAddresses } from "../components/naming";
import { parseStackSettings } from "../components/settings";
import { unknownValuesKeys, upstreamChartVersion, upstreamValues, valuesSchemaProblems } from "./support/chart-values";
import { at, ofType, runProgram, single } from "./support/mock-program";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const SECRET = "kubernetes:core/v1:Secret";
const KNATIVE = "kubernetes:serving.knative.dev/v1:Service";
const chart = { version: "13.12.7", repository: "https://helm.camunda.io", sizing: { clusterSize: 1, partitionCount: 1, replicationFactor: 1 } };

const AUTHS: Array<[string, ChartAuth]> = [
  ["basic", { method: "basic", username: "checkout-worker", secretName: "checkout-zeebe-credentials" }],
  [
    "oidc",
    {
      method: "oidc",
      issuerUrl: "https://idp.example.com/realms/camunda",
      audience: "orchestration-api",
      clientId: "checkout-worker",
      secretName: "checkout-zeebe-credentials",
    },
  ],
  ["none", { method: "none" }],
];

type Env = Array<{ name: string; value?: unknown; valueFrom?: { secretKeyRef: { name: string; key: string } } }>;
const envOf = (values: unknown) => (at({ inputs: { values } } as never, "values.orchestration.env") ?? []) as Env;

describe("the camunda-platform chart as it is (13.12.7, Camunda 8.8)", () => {
  it("defaults to the newest 13.x chart", () => {
    assert.equal(parseStackSettings({}, new Set()).camundaChartVersion, upstreamChartVersion());
  });

  for (const [label, auth] of AUTHS) {
    for (const clusterSize of [1, 3]) {
      it(`${label}, ${clusterSize} broker(s): emits only keys the chart's values.yaml has, with values its schema accepts`, () => {
        for (const webAppsRoot of [undefined, "https://operate.example.com/camunda"]) {
          const values = camundaHelmValues({ sizing: { clusterSize, partitionCount: clusterSize, replicationFactor: clusterSize }, auth, webAppsRoot });
          assert.deepEqual(unknownValuesKeys(values, upstreamValues()), []);
          assert.deepEqual(valuesSchemaProblems(values), []);
        }
      });
    }
  }

  it("finds a misspelt key and a map where the chart has a scalar", () => {
    const upstream = upstreamValues();
    assert.deepEqual(unknownValuesKeys({ orchestration: { clustersize: "1", security: { authentication: { unprotectedAPI: true } } } }, upstream), [
      "orchestration.clustersize",
      "orchestration.security.authentication.unprotectedAPI",
    ]);
    assert.deepEqual(unknownValuesKeys({ orchestration: { clusterSize: { value: 1 } } }, upstream), [
      "orchestration.clusterSize (a map here, string in the chart)",
    ]);
    assert.deepEqual(unknownValuesKeys({ orchestration: { podLabels: { team: "a" } } }, upstream), [], "free-form maps take any key");
    assert.match(valuesSchemaProblems({ orchestration: { clusterSize: 3 } }).join(), /\/orchestration\/clusterSize: must be string/);
  });

  it("basic (the default): the API stays protected; a generated user reaches the chart's initialization and the worker from one Secret", async () => {
    const run = await runProgram(() => {
      const zeebe = new Zeebe("checkout-zeebe", { component: "checkout", namespace: "shop", mode: "embedded", chart });
      return { auth: zeebe.workerAuth, secret: zeebe.credentialsSecretName };
    });
    const release = single(run.resources, RELEASE);
    assert.equal(at(release, "version"), "13.12.7");
    const security = at(release, "values.orchestration.security");
    assert.equal(security.authentication.method, "basic");
    assert.equal(security.authentication.unprotectedApi, false);
    assert.equal(security.authorizations.enabled, true);
    assert.deepEqual(security.initialization.users, [], "no demo/demo admin from the chart's defaults");
    assert.deepEqual(security.initialization.defaultRoles.admin.users, ["checkout-worker"]);
    assert.equal(at(release, "values.connectors.enabled"), false, "the connectors' default user is gone, so are they");
    const env = new Map(envOf(release.inputs.values).map((e) => [e.name, e]));
    assert.equal(env.get("CAMUNDA_SECURITY_INITIALIZATION_USERS_0_USERNAME")?.value, "checkout-worker");
    assert.deepEqual(env.get("CAMUNDA_SECURITY_INITIALIZATION_USERS_0_PASSWORD")?.valueFrom, {
      secretKeyRef: { name: "checkout-zeebe-credentials", key: "CAMUNDA_BASIC_AUTH_PASSWORD" },
    });
    assert.ok(!JSON.stringify(release.inputs).includes("render-generated-"), "the password never reaches the Helm values");
    const secret = single(run.resources, SECRET);
    assert.equal(at(secret, "metadata.name"), "checkout-zeebe-credentials");
    assert.deepEqual(Object.keys(at(secret, "stringData")).sort(), ["CAMUNDA_BASIC_AUTH_PASSWORD", "CAMUNDA_BASIC_AUTH_USERNAME"]);
    assert.equal(single(run.resources, "random:index/randomPassword:RandomPassword").parent, "checkout-zeebe");
    assert.deepEqual(run.outputs.auth, { strategy: "BASIC", secretName: "checkout-zeebe-credentials" });
    assert.equal(run.outputs.secret, "checkout-zeebe-credentials");
  });

  it("oidc: the chart validates the issuer's tokens and the worker's client gets the admin role; the worker uses OAuth", async () => {
    const run = await runProgram(() => {
      const zeebe = new Zeebe("checkout-zeebe", {
        component: "checkout",
        namespace: "shop",
        mode: "embedded",
        chart,
        auth: {
          method: "oidc",
          issuerUrl: "https://idp.example.com/realms/camunda",
          tokenUrl: "https://idp.example.com/realms/camunda/protocol/openid-connect/token",
          clientId: "checkout-worker",
          clientSecret: "oidc-secret-value",
          audience: "orchestration-api",
        },
      });
      return { auth: zeebe.workerAuth };
    });
    const release = single(run.resources, RELEASE);
    assert.equal(at(release, "values.orchestration.security.authentication.method"), "oidc");
    assert.equal(at(release, "values.orchestration.security.authentication.oidc.issuer"), "https://idp.example.com/realms/camunda");
    assert.deepEqual(at(release, "values.orchestration.security.initialization.defaultRoles.admin.clients"), ["checkout-worker"]);
    // The web apps' login client (chart default `orchestration`, without a secret) is the worker's, its secret by reference.
    assert.equal(at(release, "values.orchestration.security.authentication.oidc.clientId"), "checkout-worker");
    assert.deepEqual(at(release, "values.orchestration.security.authentication.oidc.secret"), {
      existingSecret: "checkout-zeebe-credentials",
      existingSecretKey: "ZEEBE_CLIENT_SECRET",
    });
    assert.equal(at(release, "values.orchestration.security.authentication.oidc.redirectUrl"), undefined, "no public host: the chart's default stays");
    assert.deepEqual(run.outputs.auth, {
      strategy: "OAUTH",
      secretName: "checkout-zeebe-credentials",
      url: "https://idp.example.com/realms/camunda/protocol/openid-connect/token",
      audience: "orchestration-api",
    });
    assert.deepEqual(Object.keys(at(single(run.resources, SECRET), "stringData")).sort(), ["ZEEBE_CLIENT_ID", "ZEEBE_CLIENT_SECRET"]);
    assert.ok(!JSON.stringify(run.resources).includes("oidc-secret-value"));
  });

  it("oidc with the web apps on a public host: logins return to https://<host><contextPath>, a stack's own redirectUrl wins", async () => {
    const oidc = {
      method: "oidc" as const,
      issuerUrl: "https://idp.example.com/realms/camunda",
      tokenUrl: "https://idp.example.com/realms/camunda/protocol/openid-connect/token",
      clientId: "checkout-worker",
      clientSecret: "oidc-secret-value",
      audience: "orchestration-api",
    };
    const run = await runProgram(() => {
      new Zeebe("a", { component: "a", namespace: "shop", mode: "embedded", chart, auth: oidc, webAppsHost: "operate.example.com" });
      new Zeebe("b", {
        component: "b",
        namespace: "shop",
        mode: "embedded",
        chart: { ...chart, values: { orchestration: { contextPath: "/camunda/" } } },
        auth: oidc,
        webAppsHost: "operate.example.com",
      });
      new Zeebe("c", {
        component: "c",
        namespace: "shop",
        mode: "embedded",
        chart: { ...chart, values: { orchestration: { security: { authentication: { oidc: { redirectUrl: "https://sso.example.com/c" } } } } } },
        auth: oidc,
        webAppsHost: "operate.example.com",
      });
      return {};
    });
    const redirect = (component: string) => {
      const release = ofType(run.resources, RELEASE).find((r) => at(r, "name") === `${component}-camunda`);
      assert.ok(release, `the release of ${component}`);
      return at(release, "values.orchestration.security.authentication.oidc.redirectUrl");
    };
    assert.equal(redirect("a"), "https://operate.example.com");
    assert.equal(redirect("b"), "https://operate.example.com/camunda");
    assert.equal(redirect("c"), "https://sso.example.com/c");
  });

  it("none: an unprotected API only when asked for, and no credentials", async () => {
    const run = await runProgram(() => ({
      auth: new Zeebe("z", { component: "checkout", namespace: "shop", mode: "embedded", chart, auth: { method: "none" } }).workerAuth,
    }));
    assert.equal(at(single(run.resources, RELEASE), "values.orchestration.security.authentication.unprotectedApi"), true);
    assert.equal(ofType(run.resources, SECRET).length, 0);
    assert.deepEqual(run.outputs.auth, { strategy: "NONE" });
  });

  it("the orchestrator's worker authenticates with BASIC by secretKeyRef by default", async () => {
    const run = await runProgram(() => {
      new CamundaOrchestrator("checkout", { namespace: "shop", properties: { realtimePlatform: "shop-events" }, settings: { kafkaStrimziNamespace: "kafka" } });
      return {};
    });
    const env = new Map((at(single(run.resources, KNATIVE), "spec.template.spec.containers.0.env") as Env).map((e) => [e.name, e]));
    assert.equal(env.get("CAMUNDA_AUTH_STRATEGY")?.value, "BASIC");
    assert.deepEqual(env.get("CAMUNDA_BASIC_AUTH_PASSWORD")?.valueFrom, {
      secretKeyRef: { name: "checkout-zeebe-credentials", key: "CAMUNDA_BASIC_AUTH_PASSWORD" },
    });
    assert.deepEqual(env.get("CAMUNDA_BASIC_AUTH_USERNAME")?.valueFrom, {
      secretKeyRef: { name: "checkout-zeebe-credentials", key: "CAMUNDA_BASIC_AUTH_USERNAME" },
    });
  });

  describe("the chart's naming rule (camundaPlatform.componentFullname, templates/common/_helpers.tpl)", () => {
    it("drops the component name from a release name that contains it", () => {
      assert.equal(chartComponentFullname("orders-camunda", "zeebe", {}), "orders-camunda-zeebe");
      assert.equal(chartComponentFullname("zeebe-orders-camunda", "zeebe", {}), "zeebe-orders-camunda");
      assert.equal(embeddedZeebeAddresses("zeebe-orders-camunda", "ns", {}).grpcAddress, "grpc://zeebe-orders-camunda-gateway.ns.svc.cluster.local:26500");
      assert.equal(embeddedZeebeAddresses("orders-camunda", "ns", {}).restAddress, "http://orders-camunda-zeebe-gateway.ns.svc.cluster.local:8080");
    });

    it("honours fullnameOverride, nameOverride and the service ports of the values", () => {
      assert.equal(chartComponentFullname("orders-camunda", "zeebe", { fullnameOverride: "my-zeebe-" }), "my-zeebe");
      assert.equal(chartComponentFullname("orders-camunda", "zeebe", { nameOverride: "broker" }), "orders-camunda-broker");
      assert.equal(chartComponentFullname("a".repeat(60), "zeebe", {}), `${"a".repeat(60)}-ze`);
      const addresses = embeddedZeebeAddresses("orders-camunda", "ns", { fullnameOverride: "engine", service: { grpcPort: 26600, httpPort: 8088 } });
      assert.deepEqual(addresses, {
        grpcAddress: "grpc://engine-gateway.ns.svc.cluster.local:26600",
        restAddress: "http://engine-gateway.ns.svc.cluster.local:8088",
      });
    });

    it("gives a component named zeebe-orders the gateway address the chart creates", async () => {
      const run = await runProgram(() => ({
        address: new Zeebe("zeebe-orders-zeebe", { component: "zeebe-orders", namespace: "ns", mode: "embedded", chart }).grpcAddress,
      }));
      assert.equal(run.outputs.address, "grpc://zeebe-orders-camunda-gateway.ns.svc.cluster.local:26500");
    });
  });

  it("merges extra Helm values over the computed ones, and the address follows them", async () => {
    const run = await runProgram(() => {
      const zeebe = new Zeebe("z", {
        component: "checkout",
        namespace: "ns",
        mode: "embedded",
        chart: {
          ...chart,
          values: { orchestration: { fullnameOverride: "engine", resources: { limits: { cpu: "4" } } }, global: { commonLabels: { team: "shop" } } },
        },
      });
      return { address: zeebe.grpcAddress };
    });
    const release = single(run.resources, RELEASE);
    assert.equal(at(release, "values.orchestration.resources.limits.cpu"), "4");
    assert.equal(at(release, "values.orchestration.resources.requests.cpu"), "500m", "a deep merge keeps the computed keys beside");
    assert.equal(at(release, "values.global.commonLabels.team"), "shop");
    assert.equal(at(release, "values.orchestration.security.authentication.method"), "basic");
    assert.equal(run.outputs.address, "grpc://engine-gateway.ns.svc.cluster.local:26500");
  });
});
